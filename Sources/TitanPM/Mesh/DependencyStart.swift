/// What ``ProcessManager/spawn(_:configuration:options:)`` does about dependencies that are
/// not running (``SpawnOptions/dependencies``).
///
/// Either way, a cycle among the dependencies is refused with
/// ``DiscoveryError/Code/dependencyCycle`` before anything starts.
public struct DependencyStart: Sendable, Hashable, CustomStringConvertible {
    private enum Mode: Hashable { case start, require }
    private let mode: Mode

    /// Start each dependency that is not running first, dependencies before dependents, as
    /// systemd does with `Requires=` and `After=`. A dependency declared by name only, or one
    /// that needs a configuration, cannot be started: the spawn fails with
    /// ``DiscoveryError/Code/dependencyNotRunning``.
    public static let start = DependencyStart(mode: .start)
    /// Start nothing: fail with ``DiscoveryError/Code/dependencyNotRunning`` if a dependency
    /// is not running.
    public static let require = DependencyStart(mode: .require)

    var startsMissing: Bool { mode == .start }

    /// The mode's name.
    public var description: String { mode == .start ? "start" : "require" }
}
