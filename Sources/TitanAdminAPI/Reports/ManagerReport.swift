/// The manager behind an endpoint, from ``AdminOperation/hello``.
public struct ManagerReport: Codable, Sendable, Hashable {
    /// The manager's actor-system id (`manager-<pid>-<n>`).
    public var manager: String
    /// The manager's OS process id.
    public var pid: Int32
    /// The manager's executable.
    public var executable: String
    /// Seconds since the endpoint opened.
    public var uptime: Double
    /// Whether actions are refused on this endpoint.
    public var readOnly: Bool
    /// Whether `logs` has data (the manager captures its children's output).
    public var logsAvailable: Bool
    /// Where call counts and latencies come from (`"metrics"` once the manager records them,
    /// otherwise `"procfs"`: CPU and memory only).
    public var metricsSource: String
    /// Every operation the endpoint understands.
    public var operations: [AdminOperation]

    /// Creates a value with the given fields.
    public init(manager: String, pid: Int32, executable: String, uptime: Double, readOnly: Bool, logsAvailable: Bool, metricsSource: String, operations: [AdminOperation]) {
        self.manager = manager
        self.pid = pid
        self.executable = executable
        self.uptime = uptime
        self.readOnly = readOnly
        self.logsAvailable = logsAvailable
        self.metricsSource = metricsSource
        self.operations = operations
    }
}
