import FoundationEssentials
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// A snapshot of one managed process, as listed by ``ProcessManager/processes``.
public struct ProcessInfo: Sendable, Hashable, Identifiable, CustomStringConvertible {
    /// The stable id; references to the service carry it as `id.process`.
    public var id: ProcessID
    /// The OS process id of the current incarnation; nil while not running.
    public var pid: Int32?
    /// The process's name (the service's, or ``SpawnOptions/name``).
    public var name: String
    /// The service's version (or ``SpawnOptions/version``).
    public var version: String
    /// Where the process is in its life now.
    public var status: ProcessStatus
    /// When the current incarnation became ready; nil before the first start.
    public var startTime: Date?
    /// How many times the process has been restarted (by policy or by ``ProcessManager/restart(_:)``).
    public var restarts: Int
    /// Resident memory of the current incarnation in bytes, read from /proc when the snapshot
    /// was taken; nil while not running or for in-process services.
    public var residentMemory: Int?
    /// How the last incarnation ended, if one has.
    public var lastExit: Termination?
    /// Whether the service runs in a child process or in this one.
    public var isolation: SpawnOptions.Isolation
    /// The last answer of the service's `@HealthCheck` method (checked by the manager on its
    /// interval); nil before the first check or without one.
    public var health: HealthStatus? = nil

    /// One line for a process table: `calculator-1 pid=4242 calculator@1.0.0 running restarts=0 rss=5120 KiB`.
    public var description: String {
        let pidText = pid.map(String.init) ?? "-"
        let rss = residentMemory.map { "\($0 / 1024) KiB" } ?? "-"
        let healthText = health.map { " health=\($0.state.rawValue)" } ?? ""
        return "\(id) pid=\(pidText) \(name)@\(version) \(status) restarts=\(restarts) rss=\(rss)\(healthText)"
    }
}
