import FoundationEssentials
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// A change in a managed process's status, delivered by ``ProcessManager/events``.
public struct ProcessEvent: Sendable, Hashable, CustomStringConvertible {
    public var process: ProcessID
    public var name: String
    /// The status the process has just entered.
    public var status: ProcessStatus
    /// The OS process id involved (the new one for `starting`/`running`, the old one for `crashed`).
    public var pid: Int32?
    /// How the process ended, for `stopped`, `crashed` and `failed`.
    public var exitStatus: Termination?
    public var restarts: Int
    /// Why, when there is more to say (for example why restarting gave up).
    public var reason: String?
    public var time: Date
    /// For `crashed`, `stopped` and `failed`: what the process last wrote to its standard
    /// error before it ended — a Swift trap's "Fatal error: ..." line — if it wrote anything.
    public var lastOutput: String? = nil

    public var description: String {
        var text = "\(process) \(status)"
        if let pid { text += " pid=\(pid)" }
        if let exitStatus { text += " (\(exitStatus))" }
        if let reason { text += ": \(reason)" }
        if let lastOutput { text += " [\(lastOutput)]" }
        return text
    }
}
