/// A step of a reload, carried by the ``ProcessEvent`` that marks it (``ProcessEvent/reload``).
///
/// A reload that succeeds reads `started`, `switched`, `drained`; one that does not reads
/// `started`, `rolledBack` (the event's reason says why). New phases may be added.
public struct ReloadPhase: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The phase's name, as `switched`.
    public let rawValue: String

    /// The phase named `rawValue`; use the static members.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// A new incarnation is being started beside the one that serves.
    public static let started = ReloadPhase(rawValue: "started")
    /// The new incarnation is ready, healthy and settled: new calls go to it (the event's pid).
    public static let switched = ReloadPhase(rawValue: "switched")
    /// The old incarnation has finished its calls and streams (or the drain timeout passed)
    /// and has been stopped.
    public static let drained = ReloadPhase(rawValue: "drained")
    /// The new incarnation was refused or failed; the old one goes on serving.
    public static let rolledBack = ReloadPhase(rawValue: "rolledBack")

    /// The phase's name.
    public var description: String { rawValue }
}
