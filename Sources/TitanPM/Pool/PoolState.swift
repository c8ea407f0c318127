import TitanCore
import TitanPolicies
import TitanWire
import TitanTransport
import TitanActorSystem
import TitanProcess

/// The bookkeeping of a ``ProcessPool``, always mutated under the pool's lock. It decides;
/// the pool carries out the resulting ``Actions`` (resuming callers, starting and stopping
/// processes) after releasing the lock.
struct PoolState {
    enum Phase {
        /// Takes calls.
        case running
        /// Takes no new calls; stopped once its calls have finished (recycling, scaling down).
        case draining
    }

    struct WorkerRecord {
        var process: ManagedProcess
        var slot: Int
        var phase = Phase.running
        var inFlight = 0
        var processed = 0
        var errors = 0
        var ewma: Double?
        var cpu: Double?
        var rss: Int?
        var lastCPU: (time: Duration, at: UInt64)?
        var startedAt: UInt64
        /// Circuit breakers by key: the pool's own (``PoolState/poolBreaker``) and one per
        /// method with `@CircuitBreaker`.
        var breakers: [String: CircuitBreaker<ClockInstant>] = [:]
        var failedHealthChecks = 0
        /// Why the worker is being retired, once it is.
        var retiring: String?
    }

    /// A call waiting for a worker; its caller waits in the pool's ``WaiterTable`` under `seq`.
    struct Waiter {
        var seq: UInt64
        var context: PoolCallContext
        var excluded: Set<ProcessID>
        var method: String?
    }

    /// A worker given to a call, and the circuit breakers the call passed (those in which
    /// it is the half-open probe among them).
    struct Lease: Sendable {
        var process: ManagedProcess
        var breakers: [String]
        var probes: Set<String>
    }

    /// How a call ended, for the circuit breakers it passed.
    struct BreakerOutcome {
        /// For the pool's breaker: whether the worker failed the call (not the service).
        var worker: CircuitBreaker<ClockInstant>.Outcome
        /// For a method's breaker: whether the call failed in a way that counts against it.
        var method: CircuitBreaker<ClockInstant>.Outcome
    }

    /// The key of the pool's own breaker in ``WorkerRecord/breakers``.
    static let poolBreaker = ""

    enum Outcome {
        case success
        /// The call failed with the service's own error: counted, not held against the worker.
        case failed
        /// The worker failed the call (died, timed out, lost the connection).
        case workerFailure
        /// The worker was reserved for a waiting call that gave up before it got it.
        case unused
    }

    /// What the pool must do once the lock is released.
    struct Actions {
        var dispatched: [(seq: UInt64, lease: Lease)] = []
        /// Waiting calls that fail: no worker can ever take them.
        var failed: [UInt64] = []
        /// Workers to stop and forget, with why.
        var stop: [(worker: ManagedProcess, slot: Int, reason: String?)] = []
        var launch: [Int] = []
        /// The pool is closed and every call has finished.
        var drained = false
    }

    let options: PoolOptions
    /// The `@CircuitBreaker` policies of the service's methods, by method key.
    let methodBreakers: [String: CircuitBreakerPolicy]
    var strategy: any PoolStrategy
    var workers: [ProcessID: WorkerRecord] = [:]
    var order: [ProcessID] = []
    var target: Int
    var bounds: (min: Int, max: Int, initial: Int)
    /// Slots whose worker is being started.
    var starting: Set<Int> = []
    /// Waiting calls, best first: higher priority, then earlier arrival.
    var queue: [Waiter] = []
    var nextSeq: UInt64 = 0
    var closed = false
    /// Someone waits for the pool to drain.
    var drainRequested = false
    var processed = 0
    var errors = 0
    var replaced = 0
    var recycled = 0
    /// Calls refused because the queue was full.
    var rejected = 0
    var latencies: [Double] = []
    var latencyCursor = 0
    var lastScaleUp: UInt64 = 0
    var lastScaleDown: UInt64 = 0
    var idleSince: UInt64?
    var lastHealthCheck: UInt64 = 0
    var consecutiveLaunchFailures = 0

    static let latencyWindow = 4096

    let clock: any RuntimeClock

    init(options: PoolOptions, methodBreakers: [String: CircuitBreakerPolicy] = [:], clock: any RuntimeClock) {
        self.options = options
        self.methodBreakers = methodBreakers
        self.clock = clock
        strategy = options.strategy
        bounds = options.size.bounds
        target = bounds.initial
    }

    // MARK: Queries

    private func isRoutable(_ record: WorkerRecord, now: UInt64, breakers: [String] = []) -> Bool {
        record.phase == .running
            && record.inFlight < options.maxConcurrentCallsPerWorker
            && record.failedHealthChecks == 0
            && circuitsAllow(record, breakers, now: now)
    }

    private func circuitsAllow(_ record: WorkerRecord, _ breakers: [String], now: UInt64) -> Bool {
        breakers.allSatisfy { record.breakers[$0]?.permits(at: ClockInstant(nanoseconds: now)) ?? true }
    }

    /// The breakers a call of `method` passes: the pool's, and the method's own.
    private func breakerKeys(for method: String?) -> [String] {
        var keys: [String] = []
        if options.circuitBreaker != nil { keys.append(Self.poolBreaker) }
        if let method, methodBreakers[method] != nil { keys.append(method) }
        return keys
    }

    private func breakerPolicy(_ key: String) -> CircuitBreakerPolicy? {
        key == Self.poolBreaker ? options.circuitBreaker : methodBreakers[key]
    }

    private func snapshot(_ record: WorkerRecord) -> PoolWorker {
        PoolWorker(
            id: record.process.id, slot: record.slot, inFlight: record.inFlight,
            processed: record.processed, errors: record.errors,
            averageLatency: record.ewma.map { .nanoseconds(Int64($0 * 1e9)) },
            cpuUsage: record.cpu, residentBytes: record.rss
        )
    }

    var runningIDs: [ProcessID] {
        order.compactMap { id in workers[id].flatMap { $0.phase == .running ? $0 : nil } }
            .sorted { $0.slot < $1.slot }
            .map(\.process.id)
    }

    var liveProcesses: [ManagedProcess] { order.compactMap { workers[$0]?.process } }

    private var runningCount: Int { workers.values.reduce(0) { $0 + ($1.phase == .running ? 1 : 0) } }

    // MARK: Admission and dispatch

    mutating func takeSequence() -> UInt64 {
        nextSeq += 1
        return nextSeq
    }

    /// Picks a worker for a call of `method` now, if one may take it, and counts the call in.
    private mutating func pick(_ context: PoolCallContext, excluding excluded: Set<ProcessID>, method: String?, now: UInt64) -> Lease? {
        let keys = breakerKeys(for: method)
        var available: [PoolWorker] = []
        for id in order {
            guard let record = workers[id], !excluded.contains(id), isRoutable(record, now: now, breakers: keys) else { continue }
            available.append(snapshot(record))
        }
        guard !available.isEmpty, let index = strategy.select(from: available, for: context), available.indices.contains(index) else {
            return nil
        }
        let id = available[index].id
        workers[id]!.inFlight += 1
        var probes: Set<String> = []
        for key in keys {
            guard let policy = breakerPolicy(key) else { continue }
            var breaker = workers[id]!.breakers[key] ?? CircuitBreaker(policy: policy)
            if case .probe = breaker.acquire(now: ClockInstant(nanoseconds: now)) { probes.insert(key) }
            publish(&breaker, key: key, worker: id)
            workers[id]!.breakers[key] = breaker
        }
        return Lease(process: workers[id]!.process, breakers: keys, probes: probes)
    }

    /// Queues the breaker's state changes as events.
    private mutating func publish(_ breaker: inout CircuitBreaker<ClockInstant>, key: String, worker: ProcessID) {
        for transition in breaker.takeTransitions() {
            policyEvents.append(PolicyEvent(transition: transition, process: worker, method: key == Self.poolBreaker ? nil : key))
        }
    }

    /// When every worker that could take a call of `method` refuses it by circuit breaker
    /// (not by capacity), the refusal to fail it with now; nil when it may wait.
    private func circuitRefusal(excluding excluded: Set<ProcessID>, method: String?, now: UInt64) -> PolicyError? {
        let keys = breakerKeys(for: method)
        guard !keys.isEmpty else { return nil }
        let instant = ClockInstant(nanoseconds: now)
        var retryAfter: Duration?
        for id in order {
            guard let record = workers[id], !excluded.contains(id), record.phase == .running, record.failedHealthChecks == 0 else { continue }
            guard !circuitsAllow(record, keys, now: now) else { return nil }
            for key in keys {
                guard let breaker = record.breakers[key], !breaker.permits(at: instant) else { continue }
                let wait: Duration = if case .open(let until) = breaker.state { instant.duration(to: until) } else { .zero }
                retryAfter = min(retryAfter ?? wait, wait)
            }
        }
        return retryAfter.map { PolicyError.circuitOpen(method: method, retryAfter: $0) }
    }

    /// A call arrives: a worker now, an error now, or nil when it was queued.
    mutating func admit(seq: UInt64, context: PoolCallContext, excluded: Set<ProcessID>, method: String? = nil) -> Result<Lease, any Error>? {
        guard !closed else { return .failure(PoolError.closed) }
        let now = clock.now.nanoseconds
        // Calls already waiting go first, unless this one outranks them.
        if queue.first.map({ $0.context.priority >= context.priority }) != true,
           let lease = pick(context, excluding: excluded, method: method, now: now) {
            return .success(lease)
        }
        if let refusal = circuitRefusal(excluding: excluded, method: method, now: now) { return .failure(refusal) }
        if workers.isEmpty && starting.isEmpty { return .failure(PoolError.noWorkers) }
        guard queue.count < options.queue.maxSize else {
            rejected += 1
            events.append(PoolEvent(.queueFull, size: options.queue.maxSize))
            return .failure(PoolError.queueFull(limit: options.queue.maxSize))
        }
        let waiter = Waiter(seq: seq, context: context, excluded: excluded, method: method)
        // Stable: after every waiter of the same or higher priority.
        let position = queue.firstIndex { $0.context.priority < context.priority } ?? queue.count
        queue.insert(waiter, at: position)
        return nil
    }

    mutating func removeWaiter(_ seq: UInt64) -> Waiter? {
        guard let index = queue.firstIndex(where: { $0.seq == seq }) else { return nil }
        return queue.remove(at: index)
    }

    /// Hands waiting calls to workers that can take them, best waiter first.
    private mutating func dispatch(into actions: inout Actions, now: UInt64) {
        var index = 0
        while index < queue.count {
            if let lease = pick(queue[index].context, excluding: queue[index].excluded, method: queue[index].method, now: now) {
                actions.dispatched.append((queue.remove(at: index).seq, lease))
            } else {
                // No capacity at all: nothing further can be placed either.
                if !workers.values.contains(where: { isRoutable($0, now: now) }) { break }
                index += 1
            }
        }
        if workers.isEmpty && starting.isEmpty && !queue.isEmpty && consecutiveLaunchFailures > 0 {
            actions.failed += queue.map(\.seq)
            queue.removeAll()
        }
        checkDrained(into: &actions)
    }

    mutating func release(_ lease: Lease, latency: Double, outcome: Outcome, breakers: BreakerOutcome? = nil, now: UInt64) -> Actions {
        let id = lease.process.id
        var actions = Actions()
        recordBreakers(lease, breakers ?? BreakerOutcome(worker: .abandoned, method: .abandoned), now: now)
        if outcome == .unused {
            if workers[id] != nil {
                workers[id]!.inFlight -= 1
                if workers[id]!.phase == .draining { retire(id, into: &actions) }
            }
            dispatch(into: &actions, now: now)
            return actions
        }
        processed += 1
        if outcome != .success { errors += 1 }
        if latencies.count < Self.latencyWindow {
            latencies.append(latency)
        } else {
            latencies[latencyCursor] = latency
            latencyCursor = (latencyCursor + 1) % Self.latencyWindow
        }
        if var record = workers[id] {
            record.inFlight -= 1
            record.processed += 1
            if outcome != .success { record.errors += 1 }
            record.ewma = record.ewma.map { 0.8 * $0 + 0.2 * latency } ?? latency
            workers[id] = record
            if record.phase == .running, let maxRequests = options.recycling?.maxRequests, record.processed >= maxRequests {
                recycled += 1
                retire(id, because: "recycled after \(record.processed) calls", into: &actions)
                workersChanged()
                actions.launch += reconcileLaunches()
            } else if record.phase == .draining {
                retire(id, into: &actions)
            }
        }
        dispatch(into: &actions, now: now)
        return actions
    }

    /// Records a call's outcome in the breakers it passed on its worker.
    private mutating func recordBreakers(_ lease: Lease, _ outcome: BreakerOutcome, now: UInt64) {
        let id = lease.process.id
        for key in lease.breakers {
            guard var breaker = workers[id]?.breakers[key] else { continue }
            breaker.record(key == Self.poolBreaker ? outcome.worker : outcome.method, probe: lease.probes.contains(key), now: ClockInstant(nanoseconds: now))
            publish(&breaker, key: key, worker: id)
            workers[id]!.breakers[key] = breaker
        }
    }

    // MARK: Workers

    private mutating func remove(_ id: ProcessID) {
        workers[id] = nil
        order.removeAll { $0 == id }
    }

    /// Takes worker `id` out of rotation: stopped now if idle, otherwise draining until its
    /// last call finishes (then this runs again and stops it).
    private mutating func retire(_ id: ProcessID, because reason: String? = nil, into actions: inout Actions) {
        guard var record = workers[id] else { return }
        if record.retiring == nil { record.retiring = reason }
        if record.inFlight == 0 {
            actions.stop.append((record.process, record.slot, record.retiring))
            remove(id)
        } else {
            record.phase = .draining
            workers[id] = record
        }
    }

    /// Events to deliver once the lock is released, oldest first.
    private(set) var events: [PoolEvent] = []
    /// Circuit breaker changes to deliver once the lock is released, oldest first.
    private(set) var policyEvents: [PolicyEvent] = []

    mutating func takeEvents() -> (pool: [PoolEvent], policies: [PolicyEvent]) {
        defer {
            events.removeAll()
            policyEvents.removeAll()
        }
        return (events, policyEvents)
    }

    private mutating func workersChanged() {
        let running = order.compactMap { workers[$0] }.filter { $0.phase == .running }.map(snapshot)
        strategy.workersChanged(running)
    }

    /// Slots that need a worker started to reach the target size.
    private mutating func reconcileLaunches() -> [Int] {
        guard !closed else { return [] }
        let usedSlots = Set(workers.values.filter { $0.phase == .running }.map(\.slot)).union(starting)
        var missing = target - usedSlots.count
        var slots: [Int] = []
        var slot = 0
        while missing > 0 {
            if !usedSlots.contains(slot) {
                slots.append(slot)
                starting.insert(slot)
                missing -= 1
            }
            slot += 1
        }
        return slots
    }

    mutating func reconcile() -> [Int] { reconcileLaunches() }

    mutating func setTarget(_ size: Int) {
        let previous = target
        if options.autoScaling != nil {
            target = min(bounds.max, max(bounds.min, size))
        } else {
            target = max(1, size)
            bounds = (min(bounds.min, target), max(bounds.max, target), target)
        }
        if target != previous { events.append(PoolEvent(.scaled, size: target, reason: "scale(to: \(size))")) }
    }

    /// Drains the highest slots beyond the target.
    mutating func retireSurplus() -> Actions {
        var actions = Actions()
        retireSurplus(into: &actions)
        return actions
    }

    private mutating func retireSurplus(into actions: inout Actions) {
        let running = order.compactMap { workers[$0] }.filter { $0.phase == .running }.sorted { $0.slot > $1.slot }
        for record in running.prefix(max(0, running.count - target)) {
            retire(record.process.id, because: "scaled down to \(target)", into: &actions)
        }
        workersChanged()
        dispatch(into: &actions, now: clock.now.nanoseconds)
    }

    /// A worker is ready; false if the pool no longer wants it.
    mutating func workerStarted(_ process: ManagedProcess, slot: Int, now: UInt64) -> (Bool, Actions) {
        starting.remove(slot)
        consecutiveLaunchFailures = 0
        guard !closed else { return (false, Actions()) }
        workers[process.id] = WorkerRecord(process: process, slot: slot, startedAt: now)
        order.append(process.id)
        events.append(PoolEvent(.workerStarted, worker: process.id, slot: slot))
        workersChanged()
        var actions = Actions()
        dispatch(into: &actions, now: now)
        return (true, actions)
    }

    /// Replaces every running worker: each takes no new calls, finishes its calls and stops,
    /// and a fresh one starts in its slot.
    mutating func recycleAll() -> Actions {
        var actions = Actions()
        for id in order where workers[id]?.phase == .running {
            recycled += 1
            retire(id, because: "all workers restarted", into: &actions)
        }
        workersChanged()
        actions.launch = reconcileLaunches()
        return actions
    }

    mutating func launchFailed(slot: Int, error: any Error) -> Actions {
        starting.remove(slot)
        events.append(PoolEvent(.workerFailedToStart, slot: slot, reason: "\(error)"))
        consecutiveLaunchFailures += 1
        var actions = Actions()
        // The monitor retries on its next tick; with nothing running, waiting calls fail now.
        dispatch(into: &actions, now: clock.now.nanoseconds)
        return actions
    }

    /// A worker's process ended on its own (crash, or killed). Nil if it is not ours or
    /// the pool had already let it go.
    mutating func workerEnded(_ id: ProcessID) -> Actions? {
        guard let record = workers[id] else { return nil }
        remove(id)
        var actions = Actions()
        if record.phase == .running {
            replaced += 1
            events.append(PoolEvent(.workerReplaced, worker: id, slot: record.slot, reason: "the worker's process ended"))
            workersChanged()
            actions.launch = reconcileLaunches()
        }
        dispatch(into: &actions, now: clock.now.nanoseconds)
        return actions
    }

    mutating func healthCheckDue(now: UInt64, interval: Duration) -> Bool {
        guard now &- lastHealthCheck >= UInt64(interval.wholeNanoseconds) else { return false }
        lastHealthCheck = now
        return true
    }

    mutating func healthChecked(_ id: ProcessID, healthy: Bool, threshold: Int) -> Actions {
        var actions = Actions()
        guard var record = workers[id] else { return actions }
        record.failedHealthChecks = healthy ? 0 : record.failedHealthChecks + 1
        workers[id] = record
        if record.failedHealthChecks == 1 {
            events.append(PoolEvent(.workerUnhealthy, worker: id, slot: record.slot, reason: "failed a health check"))
        }
        if record.failedHealthChecks >= threshold, record.phase == .running {
            // Replace it: no calls go there any more, and it is stopped once idle.
            replaced += 1
            events.append(PoolEvent(.workerReplaced, worker: id, slot: record.slot, reason: "failed \(record.failedHealthChecks) health checks"))
            retire(id, because: "unhealthy", into: &actions)
            workersChanged()
            actions.launch = reconcileLaunches()
        } else if healthy {
            // Back in rotation: waiting calls may go there.
            dispatch(into: &actions, now: clock.now.nanoseconds)
        }
        return actions
    }

    // MARK: Monitor

    mutating func tick(samples: [ProcessID: (cpu: Duration?, rss: Int?)], now: UInt64) -> Actions {
        var actions = Actions()
        for (id, sample) in samples {
            guard var record = workers[id] else { continue }
            record.rss = sample.rss
            if let cpu = sample.cpu {
                if let last = record.lastCPU, now > last.at {
                    record.cpu = (cpu - last.time).seconds / (Double(now - last.at) / 1e9)
                }
                record.lastCPU = (cpu, now)
            }
            workers[id] = record
            if record.phase == .running, let reason = recyclingReason(record, now: now) {
                recycled += 1
                retire(id, because: reason, into: &actions)
            } else if record.phase == .draining {
                retire(id, into: &actions)
            }
        }
        autoscale(now: now)
        workersChanged()
        actions.launch += reconcileLaunches()
        retireSurplus(into: &actions)
        return actions
    }

    /// Why a worker must be recycled now: older, or holding more memory, than recycling allows.
    private func recyclingReason(_ record: WorkerRecord, now: UInt64) -> String? {
        guard let recycling = options.recycling else { return nil }
        if let maxAge = recycling.maxAge, now &- record.startedAt >= maxAge.wholeNanoseconds {
            return "recycled at age \(maxAge)"
        }
        if let limit = recycling.maxResidentBytes, let rss = record.rss, rss > limit {
            return "recycled at \(rss) resident bytes"
        }
        return nil
    }

    private mutating func autoscale(now: UInt64) {
        guard let rules = options.autoScaling, !closed else { return }
        let running = max(1, runningCount)
        let inFlight = workers.values.reduce(0) { $0 + $1.inFlight }
        let perWorker = Double(inFlight) / Double(running)
        let recentP50 = percentile(50)
        let overloaded = queue.count > rules.queueLength
            || perWorker > rules.inFlightPerWorker
            || (rules.latency.map { limit in recentP50.map { $0 > limit } ?? false } ?? false)
        if overloaded {
            idleSince = nil
            if target < bounds.max, now &- lastScaleUp >= UInt64(rules.scaleUpCooldown.wholeNanoseconds) {
                target += 1
                lastScaleUp = now
                events.append(PoolEvent(.scaled, size: target, reason: "overloaded"))
            }
            return
        }
        guard queue.isEmpty, perWorker <= rules.idleInFlight else {
            idleSince = nil
            return
        }
        guard let since = idleSince else {
            idleSince = now
            return
        }
        if target > bounds.min,
           now &- since >= UInt64(rules.idleTime.wholeNanoseconds),
           now &- lastScaleDown >= UInt64(rules.scaleDownCooldown.wholeNanoseconds) {
            target -= 1
            lastScaleDown = now
            events.append(PoolEvent(.scaled, size: target, reason: "idle"))
            idleSince = now
        }
    }

    // MARK: Draining and closing

    /// Takes no new calls from now on; true once nothing is queued or running.
    mutating func drain() -> Bool {
        closed = true
        if isIdle { return true }
        drainRequested = true
        return false
    }

    private var isIdle: Bool {
        queue.isEmpty && workers.values.allSatisfy { $0.inFlight == 0 }
    }

    private mutating func checkDrained(into actions: inout Actions) {
        guard closed, drainRequested, isIdle else { return }
        drainRequested = false
        actions.drained = true
    }

    /// Closes the pool for good: every worker to stop and every waiting call (by seq) to fail.
    mutating func close() -> ([ManagedProcess], [UInt64]) {
        closed = true
        let processes = liveProcesses
        let waiters = queue.map(\.seq)
        queue.removeAll()
        workers.removeAll()
        order.removeAll()
        return (processes, waiters)
    }

    // MARK: Stats

    private func percentile(_ p: Double) -> Duration? {
        guard !latencies.isEmpty else { return nil }
        let sorted = latencies.sorted()
        let index = min(sorted.count - 1, Int(Double(sorted.count - 1) * p / 100))
        return .nanoseconds(Int64(sorted[index] * 1e9))
    }

    var stats: PoolStats {
        let records = order.compactMap { workers[$0] }.sorted { $0.slot < $1.slot }
        let running = records.filter { $0.phase == .running }
        return PoolStats(
            size: running.count,
            busy: running.filter { $0.inFlight > 0 }.count,
            idle: running.filter { $0.inFlight == 0 }.count,
            queued: queue.count,
            processed: processed,
            errors: errors,
            latencyP50: percentile(50),
            latencyP99: percentile(99),
            replaced: replaced,
            recycled: recycled,
            rejected: rejected,
            workers: records.map { record in
                PoolStats.Worker(
                    id: record.process.id, slot: record.slot, pid: record.process.pid,
                    state: record.phase == .running ? (record.failedHealthChecks > 0 ? "unhealthy" : "running") : "draining",
                    inFlight: record.inFlight, processed: record.processed, errors: record.errors,
                    averageLatency: record.ewma.map { .nanoseconds(Int64($0 * 1e9)) },
                    cpuUsage: record.cpu, residentBytes: record.rss,
                    circuitOpen: record.breakers.values.contains { $0.state != .closed }
                )
            }
        )
    }
}
