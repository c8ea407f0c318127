import TitanCore
import TitanWire
import TitanTransport
import TitanActorSystem
import TitanProcess

/// What a strategy knows about one worker when it picks where a call goes.
public struct PoolWorker: Sendable, Hashable {
    /// The worker's process; stable for the worker's life.
    public var id: ProcessID
    /// The worker's slot: a small number that a replacement inherits (weights refer to it).
    public var slot: Int
    /// Calls running on the worker now.
    public var inFlight: Int
    /// Calls the worker has completed (successfully or not).
    public var processed: Int
    /// Calls that failed on the worker.
    public var errors: Int
    /// Exponentially weighted moving average of the worker's call latency; nil before its
    /// first call.
    public var averageLatency: Duration?
    /// The worker's CPU use (1.0 = one core) over the last sampling interval; nil until sampled.
    public var cpuUsage: Double?
    /// The worker's resident memory in bytes at the last sample; nil until sampled.
    public var residentBytes: Int?

    /// Failed calls as a fraction of completed ones.
    public var errorRate: Double { processed == 0 ? 0 : Double(errors) / Double(processed) }
}

/// What a strategy knows about the call it routes.
public struct PoolCallContext: Sendable, Hashable {
    /// The routing key the caller gave (see ``ProcessPool/withKey(_:isolation:_:)``), for hash and
    /// sticky strategies.
    public var key: String?
    /// Higher runs first when calls wait in the queue.
    public var priority: Int
}

/// Picks the worker for each call of a ``ProcessPool``.
///
/// The pool calls ``select(from:for:)`` under its lock with the workers that may take a
/// call now (running, healthy, circuit closed, below their concurrency limit), so a strategy
/// needs no locking of its own; it may keep state in its own properties. Returning nil
/// makes the call wait in the queue until the set of available workers changes — a hash
/// strategy does that when the key's worker is busy.
///
/// Built-in strategies are available as static members: `.roundRobin`, `.random`,
/// `.leastConnections`, `.leastLoaded`, `.leastResponseTime`, `.weightedRoundRobin(_:)`,
/// `.powerOfTwoChoices`, `.consistentHash()`, `.sticky()`, `.adaptive`. Your own is a
/// value type:
///
/// ```swift
/// struct HighestSlot: PoolStrategy {
///     mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
///         available.indices.max { available[$0].slot < available[$1].slot }
///     }
/// }
/// let pool = try await pm.pool(Worker.self, options: PoolOptions(size: .fixed(3), strategy: HighestSlot()))
/// ```
public protocol PoolStrategy: Sendable {
    /// The index in `available` of the worker that takes the call, or nil to wait.
    mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int?
    /// The pool's running workers changed (started, replaced, removed). `workers` lists all
    /// of them, busy or not.
    mutating func workersChanged(_ workers: [PoolWorker])
}

extension PoolStrategy {
    /// Does nothing: a strategy that keeps no per-worker state need not implement it.
    public mutating func workersChanged(_ workers: [PoolWorker]) {}
}

// MARK: Simple strategies

/// Each worker in turn.
public struct RoundRobinStrategy: PoolStrategy {
    private var next = 0

    /// A rotation that starts at the lowest slot.
    public init() {}

    public mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
        // Turn by slot, so a busy worker skipped now keeps its place in the rotation.
        let ordered = available.indices.sorted { available[$0].slot < available[$1].slot }
        let pick = ordered.first { available[$0].slot >= next } ?? ordered[0]
        next = available[pick].slot + 1
        return pick
    }
}

/// A uniformly random worker.
public struct RandomStrategy: PoolStrategy {
    /// The strategy; it keeps no state.
    public init() {}

    public mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
        Int.random(in: 0..<available.count)
    }
}

/// The worker with the fewest calls in flight (ties: fewest processed).
public struct LeastConnectionsStrategy: PoolStrategy {
    /// The strategy; it keeps no state.
    public init() {}

    public mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
        available.indices.min { (available[$0].inFlight, available[$0].processed) < (available[$1].inFlight, available[$1].processed) }
    }
}

/// The worker with the lowest sampled CPU use, then the smallest resident memory; workers
/// not yet sampled count as idle.
public struct LeastLoadedStrategy: PoolStrategy {
    /// The strategy; it keeps no state.
    public init() {}

    public mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
        func load(_ worker: PoolWorker) -> (Double, Int, Int) {
            (worker.cpuUsage ?? 0, worker.inFlight, worker.residentBytes ?? 0)
        }
        return available.indices.min { load(available[$0]) < load(available[$1]) }
    }
}

/// The worker with the lowest average latency, weighted by its calls in flight; a worker
/// with no latency yet is tried first.
public struct LeastResponseTimeStrategy: PoolStrategy {
    /// The strategy; it keeps no state.
    public init() {}

    public mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
        func cost(_ worker: PoolWorker) -> Double {
            guard let latency = worker.averageLatency else { return -1 }
            return latency.seconds * Double(worker.inFlight + 1)
        }
        return available.indices.min { cost(available[$0]) < cost(available[$1]) }
    }
}

/// Smooth weighted round-robin (the nginx algorithm): over any run of calls, each worker
/// gets its weight's share, interleaved rather than in bursts. `weights[slot]`; slots past
/// the end weigh 1.
public struct WeightedRoundRobinStrategy: PoolStrategy {
    /// The weight of each slot; a weight of 0 sends the slot no calls.
    public let weights: [Int]
    private var current: [ProcessID: Int] = [:]

    /// A strategy giving slot *i* a `weights[i]` share of the calls.
    public init(weights: [Int]) {
        self.weights = weights
    }

    private func weight(_ worker: PoolWorker) -> Int {
        worker.slot < weights.count ? max(0, weights[worker.slot]) : 1
    }

    public mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
        var total = 0
        var best: Int?
        for index in available.indices {
            let worker = available[index]
            let w = weight(worker)
            total += w
            current[worker.id, default: 0] += w
            if w > 0, best == nil || current[worker.id]! > current[available[best!].id]! { best = index }
        }
        guard let best else { return nil }
        current[available[best].id]! -= total
        return best
    }

    public mutating func workersChanged(_ workers: [PoolWorker]) {
        let alive = Set(workers.map(\.id))
        current = current.filter { alive.contains($0.key) }
    }
}

/// Two random workers; the one with fewer calls in flight. Nearly as good as least
/// connections, without looking at every worker.
public struct PowerOfTwoChoicesStrategy: PoolStrategy {
    /// The strategy; it keeps no state.
    public init() {}

    public mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
        guard available.count > 1 else { return 0 }
        let a = Int.random(in: 0..<available.count)
        var b = Int.random(in: 0..<(available.count - 1))
        if b >= a { b += 1 }
        return available[a].inFlight <= available[b].inFlight ? a : b
    }
}

/// A score from latency, error rate and load; the lowest wins. Workers without latency yet
/// are tried first, so new workers are explored.
public struct AdaptiveStrategy: PoolStrategy {
    /// The strategy; it keeps no state.
    public init() {}

    public mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
        func score(_ worker: PoolWorker) -> Double {
            guard let latency = worker.averageLatency else { return -1 }
            let load = Double(worker.inFlight + 1) * (1 + (worker.cpuUsage ?? 0))
            return latency.seconds * load * (1 + 10 * worker.errorRate)
        }
        return available.indices.min { score(available[$0]) < score(available[$1]) }
    }
}

// MARK: Keyed strategies

/// A consistent-hash ring over the running workers: a key goes to the same worker while that
/// worker lives, and adding or removing one worker moves only about 1/n of the keys. Calls
/// without a key go to the least busy worker.
public struct ConsistentHashStrategy: PoolStrategy {
    /// Points per worker on the ring; more points spread keys more evenly.
    public let virtualNodes: Int
    private var ring: [(point: UInt64, worker: ProcessID)] = []

    /// A ring with `virtualNodes` points per worker (at least 1).
    public init(virtualNodes: Int = 160) {
        self.virtualNodes = max(1, virtualNodes)
    }

    /// The worker that owns `key` on the current ring.
    public func owner(of key: String) -> ProcessID? {
        guard !ring.isEmpty else { return nil }
        let point = StableHash.hash(key)
        var low = 0
        var high = ring.count
        while low < high {
            let middle = (low + high) / 2
            if ring[middle].point < point { low = middle + 1 } else { high = middle }
        }
        return ring[low == ring.count ? 0 : low].worker
    }

    public mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
        guard let key = call.key else {
            return available.indices.min { available[$0].inFlight < available[$1].inFlight }
        }
        guard let owner = owner(of: key) else { return nil }
        return available.firstIndex { $0.id == owner }
    }

    public mutating func workersChanged(_ workers: [PoolWorker]) {
        ring = workers.flatMap { worker in
            // Points come from the slot, so a replacement takes over its predecessor's keys.
            (0..<virtualNodes).map { (StableHash.hash("slot-\(worker.slot)#\($0)"), worker.id) }
        }
        ring.sort { $0.point < $1.point }
    }
}

/// Sticky sessions: the first call with a key goes to the least busy worker (ties: the one
/// holding the fewest keys), and every later call with that key goes to the same worker while
/// it lives. Calls without a key go to the least busy worker.
public struct StickyStrategy: PoolStrategy {
    /// The most keys remembered; beyond it the oldest assignments are forgotten.
    public let capacity: Int
    private var assignments: [String: ProcessID] = [:]
    private var keysPerWorker: [ProcessID: Int] = [:]
    private var order: [String] = []

    /// Sticky sessions remembering at most `capacity` keys (at least 1).
    public init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    public mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
        guard let key = call.key else {
            return available.indices.min { available[$0].inFlight < available[$1].inFlight }
        }
        if let assigned = assignments[key] {
            return available.firstIndex { $0.id == assigned }
        }
        let held = keysPerWorker
        guard let pick = available.indices.min(by: {
            (available[$0].inFlight, held[available[$0].id] ?? 0) < (available[$1].inFlight, held[available[$1].id] ?? 0)
        }) else { return nil }
        assign(key, to: available[pick].id)
        return pick
    }

    private mutating func assign(_ key: String, to worker: ProcessID) {
        assignments[key] = worker
        keysPerWorker[worker, default: 0] += 1
        order.append(key)
        guard order.count > capacity else { return }
        let dropped = order.count - capacity
        for old in order.prefix(dropped) {
            if let owner = assignments.removeValue(forKey: old) { keysPerWorker[owner, default: 1] -= 1 }
        }
        order.removeFirst(dropped)
    }

    public mutating func workersChanged(_ workers: [PoolWorker]) {
        let alive = Set(workers.map(\.id))
        assignments = assignments.filter { alive.contains($0.value) }
        keysPerWorker = keysPerWorker.filter { alive.contains($0.key) }
        order.removeAll { assignments[$0] == nil }
    }
}

// MARK: Spelling

extension PoolStrategy where Self == RoundRobinStrategy {
    /// Each worker in turn: ``RoundRobinStrategy``.
    public static var roundRobin: Self { RoundRobinStrategy() }
}

extension PoolStrategy where Self == RandomStrategy {
    /// A random worker: ``RandomStrategy``.
    public static var random: Self { RandomStrategy() }
}

extension PoolStrategy where Self == LeastConnectionsStrategy {
    /// The worker with the fewest calls in flight: ``LeastConnectionsStrategy``.
    public static var leastConnections: Self { LeastConnectionsStrategy() }
}

extension PoolStrategy where Self == LeastLoadedStrategy {
    /// The worker with the lowest sampled CPU use: ``LeastLoadedStrategy``.
    public static var leastLoaded: Self { LeastLoadedStrategy() }
}

extension PoolStrategy where Self == LeastResponseTimeStrategy {
    /// The worker with the lowest average latency: ``LeastResponseTimeStrategy``.
    public static var leastResponseTime: Self { LeastResponseTimeStrategy() }
}

extension PoolStrategy where Self == WeightedRoundRobinStrategy {
    /// Slot *i* gets a `weights[i]` share of the calls: ``WeightedRoundRobinStrategy``.
    public static func weightedRoundRobin(_ weights: [Int]) -> Self { WeightedRoundRobinStrategy(weights: weights) }
}

extension PoolStrategy where Self == PowerOfTwoChoicesStrategy {
    /// The less busy of two random workers: ``PowerOfTwoChoicesStrategy``.
    public static var powerOfTwoChoices: Self { PowerOfTwoChoicesStrategy() }
}

extension PoolStrategy where Self == AdaptiveStrategy {
    /// The best score from latency, errors and load: ``AdaptiveStrategy``.
    public static var adaptive: Self { AdaptiveStrategy() }
}

extension PoolStrategy where Self == ConsistentHashStrategy {
    /// A key's worker on a hash ring (keys set with ``ProcessPool/withKey(_:isolation:_:)``):
    /// ``ConsistentHashStrategy``.
    public static func consistentHash(virtualNodes: Int = 160) -> Self { ConsistentHashStrategy(virtualNodes: virtualNodes) }
}

extension PoolStrategy where Self == StickyStrategy {
    /// A key's first worker for as long as it lives (keys set with
    /// ``ProcessPool/withKey(_:isolation:_:)``): ``StickyStrategy``.
    public static func sticky(capacity: Int = 100_000) -> Self { StickyStrategy(capacity: capacity) }
}

/// A hash that is the same in every process and run (Swift's `Hasher` is seeded per process).
enum StableHash {
    static func hash(_ text: String) -> UInt64 {
        // FNV-1a, then a SplitMix64 finalizer to spread nearby inputs over the whole ring.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return SplitMix64.mix(h)
    }
}

