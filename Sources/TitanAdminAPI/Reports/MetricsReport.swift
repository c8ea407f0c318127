/// A metrics snapshot of one process, from ``AdminOperation/metrics``.
public struct MetricsReport: Codable, Sendable, Hashable {
    /// Calls to one method.
    public struct Method: Codable, Sendable, Hashable {
        /// The method, with its labels (`add(_:_:)`).
        public var method: String
        /// Calls served.
        public var calls: Int
        /// Calls that failed.
        public var errors: Int
        /// Median and 99th-percentile latency in seconds.
        public var latencyP50: Double?
        /// The 99th-percentile latency in seconds.
        public var latencyP99: Double?

        /// Creates a value with the given fields.
        public init(method: String, calls: Int, errors: Int, latencyP50: Double?, latencyP99: Double?) {
            self.method = method
            self.calls = calls
            self.errors = errors
            self.latencyP50 = latencyP50
            self.latencyP99 = latencyP99
        }
    }

    /// The process id.
    public var process: String
    /// The service's name.
    public var service: String
    /// The OS process id.
    public var pid: Int32?
    /// The status (`running`, `stopped`, ...).
    public var status: String
    /// How many times the process has been restarted.
    public var restarts: Int
    /// Seconds since the current incarnation became ready.
    public var uptime: Double?
    /// Share of one CPU over the last sampling interval, in percent.
    public var cpuPercent: Double?
    /// CPU time used by the current incarnation, in seconds.
    public var cpuSeconds: Double?
    /// Resident memory in bytes.
    public var residentBytes: Int?
    /// Open file descriptors.
    public var openDescriptors: Int?
    /// The process's threads.
    public var threads: Int?
    /// Calls answered, errors, in flight, rate and latency; nil where the manager does not count calls.
    public var calls: Int?
    /// Calls that failed.
    public var errors: Int?
    /// Calls running now.
    public var inFlight: Int?
    /// Calls per second over the last sampling interval.
    public var callsPerSecond: Double?
    /// The median latency in seconds.
    public var latencyP50: Double?
    /// The 99th-percentile latency in seconds.
    public var latencyP99: Double?
    /// Per method, where the manager records them.
    public var methods: [Method]
    /// Where the figures come from (see ``ManagerReport/metricsSource``).
    public var source: String

    /// Creates a value with the given fields.
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
