/// A metrics snapshot of one process, from ``AdminOperation/metrics``.
public struct MetricsReport: Codable, Sendable, Hashable {
    /// Calls to one method.
    public struct Method: Codable, Sendable, Hashable {
        public var method: String
        public var calls: Int
        public var errors: Int
        /// Median and 99th-percentile latency in seconds.
        public var latencyP50: Double?
        public var latencyP99: Double?

        public init(method: String, calls: Int, errors: Int, latencyP50: Double?, latencyP99: Double?) {
            self.method = method
            self.calls = calls
            self.errors = errors
            self.latencyP50 = latencyP50
            self.latencyP99 = latencyP99
        }
    }

    public var process: String
    public var service: String
    public var pid: Int32?
    public var status: String
    public var restarts: Int
    public var uptime: Double?
    /// Share of one CPU over the last sampling interval, in percent.
    public var cpuPercent: Double?
    /// CPU time used by the current incarnation, in seconds.
    public var cpuSeconds: Double?
    public var residentBytes: Int?
    public var openDescriptors: Int?
    public var threads: Int?
    /// Calls answered, errors, in flight, rate and latency; nil where the manager does not count calls.
    public var calls: Int?
    public var errors: Int?
    public var inFlight: Int?
    public var callsPerSecond: Double?
    public var latencyP50: Double?
    public var latencyP99: Double?
    /// Per method, where the manager records them.
    public var methods: [Method]
    /// Where the figures come from (see ``ManagerReport/metricsSource``).
    public var source: String

    public init(
        process: String, service: String, pid: Int32?, status: String, restarts: Int, uptime: Double?,
        cpuPercent: Double?, cpuSeconds: Double?, residentBytes: Int?, openDescriptors: Int?, threads: Int?,
        calls: Int? = nil, errors: Int? = nil, inFlight: Int? = nil, callsPerSecond: Double? = nil,
        latencyP50: Double? = nil, latencyP99: Double? = nil, methods: [Method] = [], source: String
    ) {
        self.process = process
        self.service = service
        self.pid = pid
        self.status = status
        self.restarts = restarts
        self.uptime = uptime
        self.cpuPercent = cpuPercent
        self.cpuSeconds = cpuSeconds
        self.residentBytes = residentBytes
        self.openDescriptors = openDescriptors
        self.threads = threads
        self.calls = calls
        self.errors = errors
        self.inFlight = inFlight
        self.callsPerSecond = callsPerSecond
        self.latencyP50 = latencyP50
        self.latencyP99 = latencyP99
        self.methods = methods
        self.source = source
    }
}
