import Distributed
import Synchronization
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanTelemetry
import TitanProcess
import TitanTransport
import TitanWire

/// A set of worker processes running the same service, behind one reference.
///
/// ```swift
/// let pool = try await pm.pool(Resizer.self, options: PoolOptions(size: .fixed(4), strategy: .leastConnections))
/// let thumb = try await pool.proxy.resize(image)         // goes to one worker, chosen per call
/// try await pool.execute { worker in                     // several calls on the same worker
///     try await worker.load(model); return try await worker.run(input)
/// }
/// ```
///
/// Every call through ``proxy`` is routed by the actor system to the pool, which picks a
/// worker with its ``PoolStrategy``; when every worker is at its concurrency limit the call
/// waits in a bounded priority queue and is dispatched the moment a worker frees up.
///
/// A worker that dies is replaced; the calls it was running fail with
/// ``/TitanCore/ProcessError/processExited(_:_:lastOutput:)``, or are retried on another worker when marked
/// ``idempotent(isolation:_:)``. Workers are recycled (after N calls, an age or a memory limit) by
/// draining them first, so recycling fails no call.
///
/// Calls through ``proxy`` throw what any call throws, and the pool's own ``PoolError``s:
/// ``PoolError/Code-swift.struct/queueFull``, ``PoolError/Code-swift.struct/queueTimeout``,
/// ``PoolError/Code-swift.struct/closed`` and ``PoolError/Code-swift.struct/noWorkers``.
/// What happens to the workers is announced on ``events``.
public final class ProcessPool<Service: ProcessService>: CallRoute, Sendable {
    /// The pool's id: ``proxy`` carries it as `id.process`.
    public let id: ProcessID
    /// A reference whose calls the pool routes to its workers.
    public let proxy: Service

    let manager: ProcessManager
    private let configuration: Service.Configuration
    private let options: PoolOptions
    private let workerOptions: SpawnOptions
    private let state: Mutex<PoolState>
    /// Calls waiting for a worker, keyed by their place in the queue.
    private let waiting: WaiterTable<PoolState.Lease>
    /// The caller's side of the service's method policies (retry, timeout); the circuit
    /// breakers are per worker, in the pool's routing.
    private let policies: CallerPolicies?
    /// Whether some method has its own circuit breaker, so calls must be told apart.
    private let hasMethodBreakers: Bool
    /// Callers of ``drain()``.
    private let drainers: WaiterTable<Void>
    private let nextDrainer = Atomic<UInt64>(0)
    private let broadcast = Broadcast<PoolEvent>()
    private let listener = Mutex<Int?>(nil)
    private let monitor = Mutex<Task<Void, Never>?>(nil)

    private var clock: any RuntimeClock { manager.actorSystem.clock }

    init(manager: ProcessManager, configuration: Service.Configuration, options: PoolOptions) throws {
        self.manager = manager
        self.configuration = configuration
        self.options = options
        var workerOptions = options.worker
        workerOptions.restartPolicy = .never
        workerOptions.isolation = .process
        self.workerOptions = workerOptions
        id = try manager.makeGroupID("\(options.worker.name ?? Service.name)-pool")
        let contract = try ContractSetup.make(Service.self, options: workerOptions)
        let methodBreakers = contract.policies.compactMapValues(\.circuitBreaker)
        hasMethodBreakers = !methodBreakers.isEmpty
        policies = manager.callerPolicies(for: id, contract, breakers: false)
        state = Mutex(PoolState(options: options, methodBreakers: methodBreakers, clock: manager.actorSystem.clock))
        waiting = WaiterTable(clock: manager.actorSystem.clock)
        drainers = WaiterTable(clock: manager.actorSystem.clock)
        proxy = try Service.resolve(id: ProcessActorID(process: id, instance: 0), using: manager.actorSystem)
    }

    /// Starts the initial workers and the monitor; called once by ``ProcessManager/pool(_:options:)``.
    func start() async throws {
        let key = manager.eventHub.addListener { [weak self] event in
            guard let self, event.status == .crashed || event.status.isTerminal else { return }
            // Never call into the process from here (its lock is held): hand over to a task.
            Task { await self.workerEnded(event.process, status: event.status) }
        }
        listener.withLock { $0 = key }
        manager.actorSystem.register(route: self, for: id)
        let launches = mutate { $0.reconcile() }
        let results = await runLaunches(launches)
        if results.allSatisfy({ !$0 }) && !launches.isEmpty {
            await shutdown(timeout: .seconds(1))
            throw ProcessError.startFailed("no worker of the pool could be started")
        }
        let interval = options.sampleInterval
        let clock = clock
        monitor.withLock {
            $0 = Task { [weak self] in
                while !Task.isCancelled {
                    try? await clock.sleep(for: interval)
                    guard let self else { return }
                    await self.tick()
                }
            }
        }
    }

    // MARK: Routing

    /// Runs `body` with its pool calls routed by `key`: consistent-hash and sticky strategies
    /// send every call with the same key to the same worker while it lives.
    ///
    /// ```swift
    /// let cart = try await pool.withKey(userID) { try await pool.proxy.cart() }
    /// ```
    ///
    /// The key travels in the calls' metadata (and so to the worker); other strategies see it
    /// in ``PoolCallContext/key``. Rethrows what `body` throws.
    public func withKey<T>(_ key: String, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> T {
        try await ProcessActorSystem.withCallMetadata([PoolRouting.keyKey: key], isolation: isolation, body)
    }

    /// Runs `body` with its pool calls queued at `priority` (higher first) when they wait.
    /// Calls of equal priority keep their order; a call arriving with a higher priority than
    /// every waiting call may take a free worker at once. The default priority is 0.
    /// Rethrows what `body` throws.
    public func withPriority<T>(_ priority: Int, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> T {
        try await ProcessActorSystem.withCallMetadata([PoolRouting.priorityKey: String(priority)], isolation: isolation, body)
    }

    /// Runs `body` with its pool calls marked safe to repeat: a call whose worker dies under
    /// it is retried on another worker (up to ``PoolOptions/idempotentRetries`` times).
    ///
    /// A retry follows a failure of the worker rather than of the call: its process exited,
    /// its connection broke, it was not running, or the call timed out. Errors the service
    /// throws are never retried. Without this, the caller gets the worker's failure
    /// (``/TitanCore/ProcessError/Code/processExited``). Rethrows what `body` throws.
    public func idempotent<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> T {
        try await ProcessActorSystem.withCallMetadata([PoolRouting.idempotentKey: "1"], isolation: isolation, body)
    }

    // MARK: Calls

    /// The timeout of calls through ``proxy`` that set none: the workers'
    /// ``SpawnOptions/callTimeout``. A call's time waiting in the queue counts toward it.
    public var defaultCallTimeout: Duration? { workerOptions.callTimeout }

    /// Routes a call that passed the interceptor chain: the routing hints travel in its
    /// metadata; the method's retry and timeout policies apply around the routing.
    package func call(_ call: OutgoingCall) async throws -> CallReply {
        try await policies.run(call) { try await route($0) }
    }

    private func route(_ call: OutgoingCall) async throws -> CallReply {
        let routing = PoolRouting(call.metadata)
        let method = hasMethodBreakers ? call.target.methodName : nil
        var excluded: Set<ProcessID> = []
        var attempt = 0
        while true {
            let traced = CallTrace.span != nil
            let asked = traced ? clock.now : nil
            let lease = try await acquire(routing.context, excluding: excluded, method: method, deadline: call.deadline, timeout: call.timeout)
            let started = clock.now
            if let asked {
                CallTrace.attribute("titan.pool.worker", lease.process.id.rawValue)
                CallTrace.attribute("titan.pool.queued_ns", Int(clamping: asked.duration(to: started).wholeNanoseconds))
            }
            do {
                let reply = try await lease.process.call(call)
                release(lease, started: started, outcome: .success, breakers: PoolState.BreakerOutcome(worker: .success, method: .success))
                return reply
            } catch {
                let lost = Self.isWorkerLoss(error)
                let failure = FailureKind(classifying: error)
                let methodOutcome: CircuitBreaker<ClockInstant>.Outcome = failure.map { $0.countsAgainst(error) ? .failure : .success } ?? .abandoned
                let workerOutcome: CircuitBreaker<ClockInstant>.Outcome = failure == nil ? .abandoned : lost ? .failure : .success
                release(lease, started: started, outcome: lost ? .workerFailure : .failed, breakers: PoolState.BreakerOutcome(worker: workerOutcome, method: methodOutcome))
                // A call that never reached a process (its worker was killed before it was
                // sent) is safe to send elsewhere, idempotent or not.
                let neverSent = (error as? ProcessError)?.code == .notRunning
                guard lost, routing.idempotent || neverSent, attempt < options.idempotentRetries else { throw error }
                attempt += 1
                CallTrace.event("titan.pool.retry", ["titan.attempt": String(attempt), "titan.pool.worker": lease.process.id.rawValue, "titan.error": "\(error)"])
                excluded.insert(lease.process.id)
            }
        }
    }

    /// Runs `body` with one worker reserved for it: every call `body` makes on the reference
    /// goes to that worker. The reservation takes one of the worker's concurrency slots.
    ///
    /// Waiting for a worker is bounded as for a call (queue timeout, call timeout); throws
    /// the ``PoolError``s of a call, or what `body` throws.
    public func execute<T>(_ body: (Service) async throws -> T) async throws -> T {
        let routing = PoolRouting(ProcessActorSystem.taskMetadata ?? CallMetadata())
        let timeout = ProcessActorSystem.effectiveTimeout(default: defaultCallTimeout)
        let lease = try await acquire(routing.context, excluding: [], method: nil, deadline: timeout.map { clock.deadline(after: $0) }, timeout: timeout)
        let started = clock.now
        do {
            let reference = try Service.resolve(id: ProcessActorID(process: lease.process.id, instance: 0), using: manager.actorSystem)
            let result = try await body(reference)
            release(lease, started: started, outcome: .success, breakers: PoolState.BreakerOutcome(worker: .success, method: .success))
            return result
        } catch {
            let lost = Self.isWorkerLoss(error)
            release(lease, started: started, outcome: lost ? .workerFailure : .failed, breakers: PoolState.BreakerOutcome(worker: lost ? .failure : .success, method: .success))
            throw error
        }
    }

    /// Errors that say the worker, not the call, failed.
    private static func isWorkerLoss(_ error: any Error) -> Bool {
        switch (error as? ProcessError)?.code {
        case .processExited?, .connectionLost?, .notRunning?, .timedOut?: true
        default: false
        }
    }

    private func acquire(_ context: PoolCallContext, excluding excluded: Set<ProcessID>, method: String?, deadline: ClockInstant?, timeout: Duration?) async throws -> PoolState.Lease {
        let seq = mutate { $0.takeSequence() }
        // Waiting is bounded by the queue timeout and the call's own deadline.
        var limit: (deadline: ClockInstant, error: any Error)?
        if let queueTimeout = options.queue.timeout {
            limit = (clock.deadline(after: queueTimeout), PoolError.queueTimeout(after: queueTimeout))
        }
        if let deadline, limit == nil || deadline < limit!.deadline {
            limit = (deadline, ProcessError.timedOut(after: timeout ?? .zero))
        }
        let error = limit?.error
        return try await waiting.wait(
            for: seq,
            deadline: limit?.deadline,
            onDeadline: { .failure(error ?? CancellationError()) },
            onAbandon: { [weak self] seq in self?.mutate { _ = $0.removeWaiter(seq) } },
            immediate: { mutate { $0.admit(seq: seq, context: context, excluded: excluded, method: method) } }
        )
    }

    private func release(_ lease: PoolState.Lease, started: ClockInstant, outcome: PoolState.Outcome, breakers: PoolState.BreakerOutcome) {
        let now = clock.now
        let latency = started.duration(to: now).seconds
        perform(mutate { $0.release(lease, latency: latency, outcome: outcome, breakers: breakers, now: now.nanoseconds) })
    }

    /// Changes the pool's state under its lock, then delivers the events the change produced.
    private func mutate<T>(_ change: (inout PoolState) -> T) -> T {
        let (result, events) = state.withLock { state -> (T, (pool: [PoolEvent], policies: [PolicyEvent])) in
            let result = change(&state)
            return (result, state.takeEvents())
        }
        for event in events.pool { broadcast.emit(event) }
        for event in events.policies { manager.policyBroadcast.emit(event) }
        return result
    }

    /// Resumes dispatched waiters, stops drained workers and launches replacements.
    private func perform(_ actions: PoolState.Actions) {
        for (seq, lease) in actions.dispatched where !waiting.resume(seq, with: .success(lease)) {
            // The call gave up after the worker was reserved for it: free the slot.
            perform(mutate { $0.release(lease, latency: 0, outcome: .unused, now: clock.now.nanoseconds) })
        }
        for seq in actions.failed {
            waiting.resume(seq, with: .failure(PoolError.noWorkers))
        }
        for retired in actions.stop {
            Task { await retire(retired.worker, slot: retired.slot, reason: retired.reason) }
        }
        if !actions.launch.isEmpty {
            Task { _ = await runLaunches(actions.launch) }
        }
        if actions.drained { drainers.resumeAll(with: .success(())) }
    }

    // MARK: Workers

    /// Starts a worker for each slot; returns, per slot, whether it started.
    private func runLaunches(_ slots: [Int]) async -> [Bool] {
        await withTaskGroup(of: Bool.self) { group in
            for slot in slots {
                group.addTask { await self.launchWorker(slot: slot) }
            }
            var results: [Bool] = []
            for await result in group { results.append(result) }
            return results
        }
    }

    private func launchWorker(slot: Int) async -> Bool {
        do {
            let process = try await manager.launchProcess(
                Service.self, name: workerOptions.name ?? Service.name,
                configuration: configuration, options: workerOptions, pooled: true
            )
            let (keep, actions) = mutate { $0.workerStarted(process, slot: slot, now: clock.now.nanoseconds) }
            if !keep {
                await retire(process, slot: slot, reason: "the pool closed while it started")
                return false
            }
            perform(actions)
            return true
        } catch {
            manager.logger.warning("pool worker failed to start", metadata: ["pool": "\(id)", "error": "\(error)"])
            let actions = mutate { $0.launchFailed(slot: slot, error: error) }
            perform(actions)
            return false
        }
    }

    /// Stops a worker the pool no longer routes to, forgets it, and says so.
    private func retire(_ process: ManagedProcess, slot: Int, reason: String?) async {
        await process.stop(grace: workerOptions.stopTimeout)
        manager.forget(process.id)
        broadcast.emit(PoolEvent(.workerRetired, worker: process.id, slot: slot, reason: reason))
    }

    private func workerEnded(_ process: ProcessID, status: ProcessStatus) async {
        guard let actions = mutate({ $0.workerEnded(process) }) else { return }
        manager.logger.info("pool worker ended", metadata: ["pool": "\(id)", "worker": "\(process)", "status": "\(status)"])
        manager.forget(process)
        perform(actions)
    }

    // MARK: Monitoring

    private func tick() async {
        let now = clock.now.nanoseconds
        // Sample the workers' CPU and memory from /proc, outside the lock.
        let running = state.withLock { $0.liveProcesses }
        var samples: [ProcessID: (cpu: Duration?, rss: Int?)] = [:]
        for process in running {
            guard let pid = process.pid else { continue }
            samples[process.id] = (ProcFS.cpuTime(of: pid), ProcFS.residentBytes(of: pid))
        }
        let actions = mutate { $0.tick(samples: samples, now: now) }
        perform(actions)

        if let checks = options.healthChecks {
            let due = mutate { $0.healthCheckDue(now: now, interval: checks.interval) }
            guard due else { return }
            await withTaskGroup(of: (ProcessID, Bool).self) { group in
                for process in running {
                    group.addTask {
                        let healthy = (try? await process.health(timeout: checks.timeout))?.state != .unhealthy
                        return (process.id, healthy)
                    }
                }
                for await (worker, healthy) in group {
                    let actions = mutate { $0.healthChecked(worker, healthy: healthy, threshold: checks.unhealthyThreshold) }
                    perform(actions)
                }
            }
        }
    }

    // MARK: Control

    /// Sets the number of workers (within a `.range` size's bounds) and returns once the new
    /// ones are running; removed workers finish their calls first.
    ///
    /// Without ``PoolOptions/autoScaling`` any size of at least 1 is taken; with it, the
    /// size is clamped to the range and the rules may move it again.
    public func scale(to size: Int) async {
        let launches = mutate { state -> [Int] in
            state.setTarget(size)
            return state.reconcile()
        }
        _ = await runLaunches(launches)
        let actions = mutate { $0.retireSurplus() }
        perform(actions)
    }

    /// Replaces every worker with a fresh process without failing a call: the old ones
    /// finish what they run; returns once the new ones are running.
    public func restartWorkers() async {
        var actions = mutate { $0.recycleAll() }
        let launches = actions.launch
        actions.launch = []
        perform(actions)
        _ = await runLaunches(launches)
    }

    /// Stops taking new calls (they fail with ``PoolError/closed``) and returns once every
    /// queued and running call has finished.
    public func drain() async {
        await drain(until: nil)
    }

    /// Drains, returning when every call has finished or at `deadline`, whichever is first.
    private func drain(until deadline: ClockInstant?) async {
        _ = try? await drainers.wait(
            for: nextDrainer.wrappingAdd(1, ordering: .relaxed).oldValue,
            deadline: deadline,
            onDeadline: { .success(()) },
            immediate: { mutate { $0.drain() } ? .success(()) : nil }
        )
    }

    /// Delivers `event` to the subscribers of ``events``.
    func announce(_ event: PoolEvent) {
        broadcast.emit(event)
    }

    /// Events of this pool's workers from the moment of the access: a new, independent stream
    /// each time; all of them end when the pool shuts down.
    public var events: AsyncStream<PoolEvent> {
        broadcast.subscribe()
    }

    /// Drains for at most half of `timeout`, then stops every worker (graceful request,
    /// SIGTERM, SIGKILL) and releases the pool's id. Calls still queued fail with
    /// ``PoolError/Code-swift.struct/closed``, and ``events`` streams end.
    public func shutdown(timeout: Duration = .seconds(10)) async {
        monitor.withLock { $0?.cancel() }
        await drain(until: clock.deadline(after: timeout / 2))
        let (workers, waiters) = mutate { $0.close() }
        for seq in waiters {
            waiting.resume(seq, with: .failure(PoolError.closed))
        }
        if let key = listener.withLock({ $0 }) { manager.eventHub.removeListener(key) }
        await withTaskGroup(of: Void.self) { group in
            for worker in workers {
                group.addTask {
                    await worker.stop(grace: min(self.workerOptions.stopTimeout, timeout / 2))
                    self.manager.forget(worker.id)
                }
            }
        }
        manager.actorSystem.unregisterRoute(for: id)
        manager.removeGroup(id)
        broadcast.finish()
    }

    /// A snapshot of the pool and each worker.
    public var stats: PoolStats {
        state.withLock { $0.stats }
    }

    /// The running workers' process ids, by slot.
    public var workers: [ProcessID] {
        state.withLock { $0.runningIDs }
    }
}

extension ProcessPool: ProcessGroup {
    package var serviceName: String { workerOptions.name ?? Service.name }

    func metricsSamples() async -> MetricsSnapshot {
        stats.samples(pool: id, service: serviceName)
    }

    func memberIDs() async -> [ProcessID] {
        workers
    }
}

extension ProcessPool: PoolControl {}


/// How a call is routed by a pool: hints that travel in the call's metadata, set by
/// ``ProcessPool/withKey(_:isolation:_:)`` and its siblings.
struct PoolRouting {
    static let keyKey = "titan-pool-key"
    static let priorityKey = "titan-pool-priority"
    static let idempotentKey = "titan-pool-idempotent"

    var key: String?
    var priority = 0
    var idempotent = false

    init(_ metadata: CallMetadata) {
        guard !metadata.isEmpty else { return }
        key = metadata[Self.keyKey]
        priority = metadata[Self.priorityKey].flatMap(Int.init) ?? 0
        idempotent = metadata[Self.idempotentKey] != nil
    }

    var context: PoolCallContext { PoolCallContext(key: key, priority: priority) }
}
