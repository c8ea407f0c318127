import FoundationEssentials
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// A change in a managed process's status, delivered by ``ProcessManager/events``.
///
/// A process's events arrive in the order its status changed. A crash with a restart policy
/// reads `crashed`, `restarting`, `starting`, `running`; a crash that uses up the policy's
/// restarts reads `crashed`, `failed`.
public struct ProcessEvent: Sendable, Hashable, CustomStringConvertible {
    /// The process whose status changed.
    public var process: ProcessID
    /// The process's name (the service's, or ``SpawnOptions/name``).
    public var name: String
    /// The status the process has just entered.
    public var status: ProcessStatus
    /// The OS process id involved (the new one for `starting`/`running`, the old one for `crashed`).
    public var pid: Int32?
    /// How the process ended, for `stopped`, `crashed` and `failed`.
    public var exitStatus: Termination?
    /// How many times the process had been restarted when the event was emitted.
    public var restarts: Int
    /// Why, when there is more to say (for example why restarting gave up).
    public var reason: String?
    /// When the status changed (wall-clock time).
    public var time: Date

    /// The process, status, pid, exit and reason, as `calculator-1 crashed pid=4242 (signal SIGKILL)`.
    public var description: String {
        var text = "\(process) \(status)"
        if let pid { text += " pid=\(pid)" }
        if let exitStatus { text += " (\(exitStatus))" }
        if let reason { text += ": \(reason)" }
        return text
    }
}
