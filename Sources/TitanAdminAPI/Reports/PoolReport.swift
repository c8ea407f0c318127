/// A pool and its workers, from ``AdminOperation/pools``.
public struct PoolReport: Codable, Sendable, Hashable {
    /// One worker of the pool.
    public struct Worker: Codable, Sendable, Hashable {
        public var id: String
        public var slot: Int
        public var pid: Int32?
        /// `running`, `draining`, ...
        public var state: String
        public var inFlight: Int
        public var processed: Int
        public var errors: Int
        public var cpuPercent: Double?
        public var residentBytes: Int?

        public init(id: String, slot: Int, pid: Int32?, state: String, inFlight: Int, processed: Int, errors: Int, cpuPercent: Double?, residentBytes: Int?) {
            self.id = id
            self.slot = slot
            self.pid = pid
            self.state = state
            self.inFlight = inFlight
            self.processed = processed
            self.errors = errors
            self.cpuPercent = cpuPercent
            self.residentBytes = residentBytes
        }
    }

    /// The pool's id (`resizer-pool-1`): the name `titan scale` takes.
    public var id: String
    public var service: String
    /// Running workers.
    public var size: Int
    public var busy: Int
    public var idle: Int
    public var queued: Int
    public var processed: Int
    public var errors: Int
    /// Median and 99th-percentile latency in seconds, over recent calls.
    public var latencyP50: Double?
    public var latencyP99: Double?
    public var workers: [Worker]

    public init(id: String, service: String, size: Int, busy: Int, idle: Int, queued: Int, processed: Int, errors: Int, latencyP50: Double?, latencyP99: Double?, workers: [Worker]) {
        self.id = id
        self.service = service
        self.size = size
        self.busy = busy
        self.idle = idle
        self.queued = queued
        self.processed = processed
        self.errors = errors
        self.latencyP50 = latencyP50
        self.latencyP99 = latencyP99
        self.workers = workers
    }
}
