/// One line of the process table, from ``AdminOperation/status``.
public struct ProcessRow: Codable, Sendable, Hashable {
    /// The process id that stays the same across restarts (`calculator-1`).
    public var id: String
    /// The service's name.
    public var service: String
    /// The service's version.
    public var version: String
    /// The OS pid of the current incarnation; nil while not running.
    public var pid: Int32?
    /// `starting`, `running`, `restarting`, `stopping`, `stopped`, `crashed` or `failed`.
    public var status: String
    /// Seconds since the current incarnation became ready.
    public var uptime: Double?
    /// How many times the process has been restarted.
    public var restarts: Int
    /// Share of one CPU over the last sampling interval, in percent.
    public var cpuPercent: Double?
    /// Resident memory in bytes.
    public var residentBytes: Int?
    /// Calls answered per second over the last sampling interval, where the manager counts them.
    public var callsPerSecond: Double?
    /// The pool this process works for, if any.
    public var pool: String?
    /// The supervisor that looks after this process, if any.
    public var supervisor: String?
    /// `process` or `inProcess`.
    public var isolation: String
    /// How the last incarnation ended (`exit code 0`, `signal SIGKILL`), if one has.
    public var lastExit: String?

    /// Creates a value with the given fields.
    public init(
        id: String, service: String, version: String, pid: Int32?, status: String, uptime: Double?, restarts: Int,
        cpuPercent: Double?, residentBytes: Int?, callsPerSecond: Double?, pool: String?, supervisor: String?,
        isolation: String, lastExit: String?
    ) {
        self.id = id
        self.service = service
        self.version = version
        self.pid = pid
        self.status = status
        self.uptime = uptime
        self.restarts = restarts
        self.cpuPercent = cpuPercent
        self.residentBytes = residentBytes
        self.callsPerSecond = callsPerSecond
        self.pool = pool
        self.supervisor = supervisor
        self.isolation = isolation
        self.lastExit = lastExit
    }
}

/// The process table, from ``AdminOperation/status``.
public struct StatusReport: Codable, Sendable, Hashable {
    /// The manager's OS process id.
    public var manager: Int32
    /// Every process, in spawn order.
    public var processes: [ProcessRow]

    /// Creates a value with the given fields.
    public init(manager: Int32, processes: [ProcessRow]) {
        self.manager = manager
        self.processes = processes
    }
}
