import Glibc
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanProcess
import TitanTransport
import TitanWire

/// How a ``ProcessPool`` is sized, balanced, queued, scaled, checked and recycled.
///
/// ```swift
/// let options = PoolOptions(
///     size: .range(min: 2, max: 8),
///     strategy: .leastConnections,
///     maxConcurrentCallsPerWorker: 16,
///     queue: .init(maxSize: 1_000, timeout: .seconds(5)),
///     autoScaling: .init(queueLength: 10),
///     recycling: .init(maxRequests: 10_000),
///     circuitBreaker: .init(.consecutiveFailures(3)),
///     healthChecks: .init(interval: .seconds(10)))
/// ```
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

        /// A queue of at most `maxSize` calls (at least 0), each waiting at most `timeout`
        /// (nil: as long as the call's own deadline allows).
        public init(maxSize: Int = 10_000, timeout: Duration? = .seconds(30)) {
            self.maxSize = max(0, maxSize)
            self.timeout = timeout
        }
    }

    /// When to add and remove workers (for a `.range` size).
    ///
    /// The pool checks the rules every ``PoolOptions/sampleInterval``. It adds one worker per
    /// check while any rule for scaling up holds (queue length, calls in flight per worker,
    /// latency), at most once per ``scaleUpCooldown``; it removes one after ``idleTime`` of
    /// idleness, at most once per ``scaleDownCooldown``. Removed workers finish their calls
    /// first. Each change is a ``PoolEvent/Kind-swift.struct/scaled`` event.
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
        /// The most calls in flight per worker that still count as idle.
        public var idleInFlight: Double
        /// The least time between two steps up.
        public var scaleUpCooldown: Duration
        /// The least time between two steps down.
        public var scaleDownCooldown: Duration

        /// Rules that scale up as soon as a call waits, and down after 10 s idle.
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
    ///
    /// A replacement starts in the worker's slot at once; each recycled worker is a
    /// ``PoolEvent/Kind-swift.struct/workerRetired`` event once it has stopped.
    public struct Recycling: Sendable, Hashable {
        /// Recycle a worker once it has completed this many calls.
        public var maxRequests: Int?
        /// Recycle a worker once it has run this long (checked every ``PoolOptions/sampleInterval``,
        /// on the manager's clock).
        public var maxAge: Duration?
        /// Recycle a worker whose resident memory, sampled from `/proc`, exceeds this many bytes.
        public var maxResidentBytes: Int?

        /// Recycling by any of the limits given; nil limits do not apply.
        public init(maxRequests: Int? = nil, maxAge: Duration? = nil, maxResidentBytes: Int? = nil) {
            self.maxRequests = maxRequests
            self.maxAge = maxAge
            self.maxResidentBytes = maxResidentBytes
        }
    }

    /// Periodic health checks through ``/TitanProcess/ProcessService/health()``.
    ///
    /// A check fails when the service reports ``/TitanCore/HealthStatus/State-swift.enum/unhealthy``
    /// or does not answer within ``timeout``; ``/TitanCore/HealthStatus/State-swift.enum/degraded`` passes.
    public struct HealthChecks: Sendable, Hashable {
        /// How often every worker is checked (on the monitor's ticks, every
        /// ``PoolOptions/sampleInterval`` at the finest).
        public var interval: Duration
        /// How long a worker may take to answer a check.
        public var timeout: Duration
        /// Consecutive failed checks after which the worker is replaced; an unhealthy worker
        /// takes no calls from the first failed check on.
        public var unhealthyThreshold: Int

        /// Checks every `interval`, each within `timeout`, replacing a worker after
        /// `unhealthyThreshold` failures in a row (at least 1).
        public init(interval: Duration = .seconds(5), timeout: Duration = .seconds(2), unhealthyThreshold: Int = 3) {
            self.interval = interval
            self.timeout = timeout
            self.unhealthyThreshold = max(1, unhealthyThreshold)
        }
    }

    /// How many workers the pool runs: ``Size-swift.enum/auto`` (one per CPU) by default.
    public var size: Size
    /// Picks the worker for each call: ``RoundRobinStrategy`` by default.
    public var strategy: any PoolStrategy
    /// Calls one worker runs at once; more wait in the queue.
    public var maxConcurrentCallsPerWorker: Int
    /// Where calls wait when every worker is at its limit.
    public var queue: Queue
    /// When set (with a `.range` size), the pool resizes itself.
    public var autoScaling: AutoScaling?
    /// When set, workers are replaced after a number of calls, an age or a memory size.
    public var recycling: Recycling?
    /// A circuit breaker per worker: a worker that keeps failing calls (it dies, times out or
    /// loses its connection; errors the service throws do not count) gets no calls until its
    /// reset time has passed and a probe call succeeds. When every worker's circuit is open,
    /// calls fail at once with `PolicyError` code `circuitOpen`. Methods with
    /// `@CircuitBreaker` also get a breaker per worker, counting their own failures.
    public var circuitBreaker: CircuitBreakerPolicy?
    /// When set, workers are asked for their health periodically.
    public var healthChecks: HealthChecks?
    /// How many other workers a call marked idempotent is retried on when its worker dies
    /// (see ``ProcessPool/idempotent(isolation:_:)``); also how many times any call that never
    /// reached its worker (killed before the call was sent:
    /// ``/TitanCore/ProcessError/Code/notRunning``) is sent to another.
    public var idempotentRetries: Int
    /// How often worker CPU and memory are sampled, recycling and scaling rules checked.
    public var sampleInterval: Duration
    /// Options for each worker process; a restart policy here is ignored (the pool replaces
    /// workers that die).
    public var worker: SpawnOptions

    /// Options with every default: one worker per CPU, round robin, 64 calls per worker,
    /// a queue of 10 000 calls waiting at most 30 s, no scaling, recycling, breaker or checks.
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
    /// One worker's row.
    public struct Worker: Sendable, Hashable {
        /// The worker's process.
        public var id: ProcessID
        /// The worker's slot (a replacement takes over its predecessor's).
        public var slot: Int
        /// The worker's OS process id, while it runs.
        public var pid: Int32?
        /// `running`, `unhealthy` (failed its last health check) or `draining` (finishing
        /// its calls before it stops).
        public var state: String
        /// Calls running on the worker now.
        public var inFlight: Int
        /// Calls the worker has completed.
        public var processed: Int
        /// Calls that failed on the worker.
        public var errors: Int
        /// Exponentially weighted moving average of the worker's latency.
        public var averageLatency: Duration?
        /// CPU use over the last sampling interval (1.0 = one core).
        public var cpuUsage: Double?
        /// Resident memory at the last sample, in bytes.
        public var residentBytes: Int?
        /// Whether the worker's circuit breaker keeps calls away from it now.
        public var circuitOpen: Bool
    }

    /// Running workers (draining ones excluded).
    public var size: Int
    /// Workers with at least one call in flight.
    public var busy: Int
    /// Running workers with no call in flight.
    public var idle: Int
    /// Calls waiting for a worker.
    public var queued: Int
    /// Calls completed since the pool started.
    public var processed: Int
    /// Completed calls that failed (the service's errors and the workers' failures).
    public var errors: Int
    /// The median latency over the most recent calls (up to 4096).
    public var latencyP50: Duration?
    /// The 99th-percentile latency over the most recent calls (up to 4096).
    public var latencyP99: Duration?
    /// Workers replaced after they died or failed their health checks.
    public var replaced: Int
    /// Workers recycled (by ``PoolOptions/Recycling`` or ``ProcessPool/restartWorkers()``).
    public var recycled: Int
    /// Calls refused because the queue was full (``PoolError/queueFull(limit:)``).
    public var rejected: Int = 0
    /// A row per worker, draining ones included, by slot.
    public var workers: [Worker]

    /// The pool's figures on one line.
    public var description: String {
        let p50 = latencyP50.map { "\($0)" } ?? "-"
        return "size=\(size) busy=\(busy) idle=\(idle) queued=\(queued) processed=\(processed) errors=\(errors) p50=\(p50) replaced=\(replaced) recycled=\(recycled)"
    }
}
