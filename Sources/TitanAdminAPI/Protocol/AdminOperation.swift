/// What an ``AdminRequest`` asks of a manager. New operations may be added in any release.
///
/// Reads never change anything; actions (``isAction``) are authorised by the endpoint's
/// policy and logged.
public struct AdminOperation: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }


    public var description: String { rawValue }

    // MARK: Reads

    /// The manager itself: pid, uptime, what this endpoint offers (``ManagerReport``).
    public static let hello = AdminOperation(rawValue: "hello")
    /// The process table (``StatusReport``).
    public static let status = AdminOperation(rawValue: "status")
    /// Pools and their workers (`[PoolReport]`).
    public static let pools = AdminOperation(rawValue: "pools")
    /// The supervision tree, rooted at the manager (``TreeNode``).
    public static let tree = AdminOperation(rawValue: "tree")
    /// Services: registered for spawning or running (`[ServiceRow]`).
    public static let services = AdminOperation(rawValue: "services")
    /// One service's methods (``ServiceDescription``); `name` is the service.
    public static let service = AdminOperation(rawValue: "service")
    /// A metrics snapshot of one process (``MetricsReport``).
    public static let metrics = AdminOperation(rawValue: "metrics")
    /// A process's recent log lines (`count`), then its new ones with `follow` (``LogEntry`` each).
    public static let logs = AdminOperation(rawValue: "logs")
    /// Recent events (`count`), then new ones with `follow` (``AdminEvent`` each).
    public static let events = AdminOperation(rawValue: "events")

    // MARK: Actions

    /// Restarts a process, every worker of a pool, or every process of a service; `rolling`
    /// restarts one at a time without failing a call (a process is reloaded: its new incarnation
    /// serves before the old one stops; a pool replaces its workers).
    public static let restart = AdminOperation(rawValue: "restart")
    /// Stops a process (graceful request, SIGTERM, SIGKILL, `timeout` seconds apart), a pool
    /// or a supervisor.
    public static let stop = AdminOperation(rawValue: "stop")
    /// Sends `signal` (default KILL) to a process; its restart policy applies.
    public static let kill = AdminOperation(rawValue: "kill")
    /// Sets a pool's number of workers to `count`.
    public static let scale = AdminOperation(rawValue: "scale")
    /// Starts a service registered with the endpoint by name; `arguments` is its configuration.
    public static let spawn = AdminOperation(rawValue: "spawn")
    /// Calls `method` of process (or pool) `name` with JSON `arguments` (``InvokeReport``).
    public static let invoke = AdminOperation(rawValue: "invoke")

    /// Every operation this version knows.
    public static let all: [AdminOperation] = [
        .hello, .status, .pools, .tree, .services, .service, .metrics, .logs, .events,
        .restart, .stop, .kill, .scale, .spawn, .invoke,
    ]

    /// Whether the operation changes something (and is therefore authorised and logged).
    public var isAction: Bool {
        [Self.restart, .stop, .kill, .scale, .spawn, .invoke].contains(self)
    }
}
