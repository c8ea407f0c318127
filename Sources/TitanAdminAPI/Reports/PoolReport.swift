/// A pool and its workers, from ``AdminOperation/pools``.
public struct PoolReport: Codable, Sendable, Hashable {
    /// One worker of the pool.
    public struct Worker: Codable, Sendable, Hashable {
        /// The worker's process id.
        public var id: String
        /// The worker's slot in the pool.
        public var slot: Int
        /// The OS process id.
        public var pid: Int32?
        /// `running`, `draining`, ...
        public var state: String
        /// Calls running now.
        public var inFlight: Int
        /// Calls served.
        public var processed: Int
        /// Calls that failed.
        public var errors: Int
        /// Share of one CPU over the last sampling interval, in percent.
        public var cpuPercent: Double?
        /// Resident memory in bytes.
        public var residentBytes: Int?

        /// Creates a value with the given fields.
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
    /// The service's name.
    public var service: String
    /// Running workers.
    public var size: Int
    /// Workers with a call in flight.
    public var busy: Int
    /// Workers without one.
    public var idle: Int
    /// Calls waiting for a worker.
    public var queued: Int
    /// Calls served.
    public var processed: Int
    /// Calls that failed.
    public var errors: Int
    /// Median and 99th-percentile latency in seconds, over recent calls.
    public var latencyP50: Double?
    /// The 99th-percentile latency in seconds.
    public var latencyP99: Double?
    /// The workers, by slot.
    public var workers: [Worker]

    /// Creates a value with the given fields.
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
