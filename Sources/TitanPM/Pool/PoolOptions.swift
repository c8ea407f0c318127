import Glibc
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanProcess
import TitanTransport
import TitanWire

/// How a ``ProcessPool`` is sized, balanced, queued, scaled, checked and recycled.
public struct PoolOptions: Sendable {
    /// How many workers the pool runs.
    public enum Size: Sendable, Hashable {
        /// Exactly this many.
        case fixed(Int)
        /// One per online CPU.
        case auto
        /// Between `min` and `max`, starting at `initial` (default `min`); ``AutoScaling``
        /// moves it, and ``ProcessPool/scale(to:)`` may set it within the bounds.
        case range(min: Int, max: Int, initial: Int? = nil)

        var bounds: (min: Int, max: Int, initial: Int) {
            switch self {
            case .fixed(let n):
                return (max(1, n), max(1, n), max(1, n))
            case .auto:
                let cpus = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
                return (cpus, cpus, cpus)
            case .range(let low, let high, let initial):
                let low = max(1, low)
                let high = max(low, high)
                return (low, high, min(high, max(low, initial ?? low)))
            }
        }
    }

    /// Where calls wait when every worker is at its concurrency limit.
    public struct Queue: Sendable, Hashable {
        /// More waiting calls than this fail at once with ``PoolError/queueFull(limit:)``.
        public var maxSize: Int
        /// A call that waits longer fails with ``PoolError/queueTimeout(after:)``.
        public var timeout: Duration?

        public init(maxSize: Int = 10_000, timeout: Duration? = .seconds(30)) {
            self.maxSize = max(0, maxSize)
            self.timeout = timeout
        }
    }

    /// When to add and remove workers (for a `.range` size).
    public struct AutoScaling: Sendable, Hashable {
        /// Scale up when more calls than this wait in the queue.
        public var queueLength: Int
        /// Scale up when the average calls in flight per worker exceed this.
        public var inFlightPerWorker: Double
        /// Scale up when the recent median latency exceeds this.
        public var latency: Duration?
        /// Scale down after the pool has been idle (nothing queued, at most `idleInFlight`
        /// calls in flight per worker) for this long.
        public var idleTime: Duration
        public var idleInFlight: Double
        /// The least time between two scaling steps in the same direction.
        public var scaleUpCooldown: Duration
        public var scaleDownCooldown: Duration

        public init(
            queueLength: Int = 0,
            inFlightPerWorker: Double = .infinity,
            latency: Duration? = nil,
            idleTime: Duration = .seconds(10),
            idleInFlight: Double = 0,
            scaleUpCooldown: Duration = .seconds(1),
            scaleDownCooldown: Duration = .seconds(5)
        ) {
            self.queueLength = queueLength
            self.inFlightPerWorker = inFlightPerWorker
            self.latency = latency
            self.idleTime = idleTime
            self.idleInFlight = idleInFlight
            self.scaleUpCooldown = scaleUpCooldown
            self.scaleDownCooldown = scaleDownCooldown
        }
    }

    /// When to replace a worker with a fresh process. The old one gets no new calls, finishes
    /// the ones it has, and stops; no call fails because of recycling.
    public struct Recycling: Sendable, Hashable {
        public var maxRequests: Int?
        public var maxAge: Duration?
        public var maxResidentBytes: Int?

        public init(maxRequests: Int? = nil, maxAge: Duration? = nil, maxResidentBytes: Int? = nil) {
            self.maxRequests = maxRequests
            self.maxAge = maxAge
            self.maxResidentBytes = maxResidentBytes
        }
    }

    /// Periodic health checks through ``ProcessService/health()``.
    public struct HealthChecks: Sendable, Hashable {
        public var interval: Duration
        public var timeout: Duration
        /// Consecutive failed checks after which the worker is replaced; an unhealthy worker
        /// takes no calls from the first failed check on.
        public var unhealthyThreshold: Int

        public init(interval: Duration = .seconds(5), timeout: Duration = .seconds(2), unhealthyThreshold: Int = 3) {
            self.interval = interval
            self.timeout = timeout
            self.unhealthyThreshold = max(1, unhealthyThreshold)
        }
    }

    public var size: Size
    public var strategy: any PoolStrategy
    /// Calls one worker runs at once; more wait in the queue.
    public var maxConcurrentCallsPerWorker: Int
    public var queue: Queue
    /// When set (with a `.range` size), the pool resizes itself.
    public var autoScaling: AutoScaling?
    public var recycling: Recycling?
    /// A circuit breaker per worker: a worker that keeps failing calls (it dies, times out or
    /// loses its connection; errors the service throws do not count) gets no calls until its
    /// reset time has passed and a probe call succeeds. When every worker's circuit is open,
    /// calls fail at once with `PolicyError` code `circuitOpen`. Methods with
    /// `@CircuitBreaker` also get a breaker per worker, counting their own failures.
    public var circuitBreaker: CircuitBreakerPolicy?
    public var healthChecks: HealthChecks?
    /// How many other workers a call marked idempotent is retried on when its worker dies
    /// (see ``ProcessPool/idempotent(_:)``).
    public var idempotentRetries: Int
    /// How often worker CPU and memory are sampled, recycling and scaling rules checked.
    public var sampleInterval: Duration
    /// Options for each worker process; a restart policy here is ignored (the pool replaces
    /// workers that die).
    public var worker: SpawnOptions

    public init(
        size: Size = .auto,
        strategy: any PoolStrategy = .roundRobin,
        maxConcurrentCallsPerWorker: Int = 64,
        queue: Queue = Queue(),
        autoScaling: AutoScaling? = nil,
        recycling: Recycling? = nil,
        circuitBreaker: CircuitBreakerPolicy? = nil,
        healthChecks: HealthChecks? = nil,
        idempotentRetries: Int = 2,
        sampleInterval: Duration = .seconds(1),
        worker: SpawnOptions = SpawnOptions()
    ) {
        self.size = size
        self.strategy = strategy
        self.maxConcurrentCallsPerWorker = max(1, maxConcurrentCallsPerWorker)
        self.queue = queue
        self.autoScaling = autoScaling
        self.recycling = recycling
        self.circuitBreaker = circuitBreaker
        self.healthChecks = healthChecks
        self.idempotentRetries = max(0, idempotentRetries)
        self.sampleInterval = sampleInterval
        self.worker = worker
    }
}

/// A snapshot of a pool, from ``ProcessPool/stats``.
public struct PoolStats: Sendable, Hashable, CustomStringConvertible {
    public struct Worker: Sendable, Hashable {
        public var id: ProcessID
        public var slot: Int
        public var pid: Int32?
        public var state: String
        public var inFlight: Int
        public var processed: Int
        public var errors: Int
        public var averageLatency: Duration?
        public var cpuUsage: Double?
        public var residentBytes: Int?
        public var circuitOpen: Bool
    }

    /// Running workers (draining ones excluded).
    public var size: Int
    /// Workers with at least one call in flight.
    public var busy: Int
    public var idle: Int
    /// Calls waiting for a worker.
    public var queued: Int
    public var processed: Int
    public var errors: Int
    /// Over the most recent calls (up to 4096).
    public var latencyP50: Duration?
    public var latencyP99: Duration?
    /// Workers replaced after a crash, recycled, and added or removed by scaling.
    public var replaced: Int
    public var recycled: Int
    public var workers: [Worker]

    public var description: String {
        let p50 = latencyP50.map { "\($0)" } ?? "-"
        return "size=\(size) busy=\(busy) idle=\(idle) queued=\(queued) processed=\(processed) errors=\(errors) p50=\(p50) replaced=\(replaced) recycled=\(recycled)"
    }
}
