import FoundationEssentials
import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanProcess
import TitanTransport
import TitanWire

/// One logical process of a ``ProcessManager``: starts incarnations of its child, routes calls
/// to the current one, and decides what an exit means (a requested stop, a restart under the
/// ``/TitanCore/RestartPolicy``, or the supervisor's call).
///
/// All state changes happen under one lock, and events are emitted under it, so a process's
/// events arrive in the order its states changed. Callers waiting for a running incarnation
/// wait in one ``WaiterTable``; they are resumed after the lock is released.
final class ManagedProcess: CallRoute, Sendable {
    /// What the manager wants from the process, which decides what an exit means.
    enum Intent {
        case run
        case stop
        case restart
    }

    struct State {
        var status: ProcessStatus = .starting
        var incarnation = 0
        /// The last incarnation number handed out: a reload takes one for the incarnation it
        /// starts beside the current one, so no later start reuses it.
        var issued = 0
        /// The recipe of the next incarnation: a reload to a new executable replaces it.
        var spec: ChildSpec
        /// A reload is under way (``reload(_:)``): a second one is refused.
        var reloading = false
        var child: ChildProcess?
        /// The incarnation launched and not ready yet: its service may already reach the
        /// manager's mesh endpoint (from its `configure`).
        var launching: ChildProcess?
        var startTime: Date?
        var restarts = 0
        var scheduler: RestartScheduler
        var lastExit: Termination?
        /// The summary of what the last incarnation wrote to standard error before it ended.
        var lastOutput: String?
        var intent = Intent.run
        var restartTask: Task<Void, Never>?
        /// A supervised process that exited on its own: callers wait for the supervisor's
        /// decision (a new incarnation, or ``releaseWaiters()``).
        var awaitingSupervisor = false
        /// The incarnation sent a signal that ends it (``kill(_:)``): calls made from then on
        /// wait for what follows its exit (a restart, or the final error) instead of reaching it.
        var killed: Int?
        /// The last answer of the service's `@HealthCheck` method.
        var health: HealthStatus?
        /// The service's manifest: the caller's, or the one the process reported.
        var manifest: ServiceManifest?
        var healthMonitor: HealthMonitor?
    }

    let id: ProcessID
    let name: String
    let version: String
    let options: SpawnOptions
    private let events: EventHub
    let system: ProcessActorSystem
    let state: Mutex<State>
    /// Callers waiting for a running incarnation.
    let ready: WaiterTable<CallClient>
    private let nextWaiter = Atomic<UInt64>(0)
    /// Set for a process a ``Supervisor`` looks after: told of every exit it did not request,
    /// with the incarnation that exited; the restart policy is then the supervisor's.
    private let supervisorHook: (@Sendable (Int, Termination) -> Void)?
    /// The caller's side of the service's method policies (breaker, retry, timeout).
    private let policies: CallerPolicies?
    /// Whether an owner (a pool, a supervisor) replaces this process when it dies, so a
    /// critical failed health check kills it instead of restarting it here.
    private let ownerReplacesIt: Bool
    /// Makes the handler of an incarnation's captured output, given its pid.
    let output: (@Sendable (Int32) -> any ChildOutputHandler)?

    var clock: any RuntimeClock { system.clock }

    init(id: ProcessID, name: String, version: String, spec: ChildSpec, options: SpawnOptions, events: EventHub, system: ProcessActorSystem,
         supervisorHook: (@Sendable (Int, Termination) -> Void)? = nil, policies: CallerPolicies? = nil, manifest: ServiceManifest? = nil,
         ownerReplacesIt: Bool = false, output: (@Sendable (Int32) -> any ChildOutputHandler)? = nil) {
        self.system = system
        self.supervisorHook = supervisorHook
        self.policies = policies
        self.ownerReplacesIt = ownerReplacesIt || supervisorHook != nil
        self.output = output
        self.id = id
        self.name = name
        self.version = version
        self.options = options
        self.events = events
        var initial = State(spec: spec, scheduler: RestartScheduler(policy: options.restartPolicy))
        initial.manifest = manifest
        state = Mutex(initial)
        ready = WaiterTable(clock: system.clock)
    }

    deinit {
        // The manager let go without stopping: the child must not outlive its handle.
        state.withLock { $0.child }?.signal(.kill)
    }

    var defaultCallTimeout: Duration? { options.callTimeout }

    var status: ProcessStatus { state.withLock { $0.status } }

    var pid: Int32? { state.withLock { $0.child?.pid } }

    /// The running incarnation, if any.
    var currentChild: ChildProcess? { state.withLock { $0.child } }

    /// The running incarnation, or the one starting.
    var runningOrLaunching: ChildProcess? { state.withLock { $0.child ?? $0.launching } }

    var affinityExecutor: (any TaskExecutor)? { state.withLock { $0.child?.client }?.executor }

    var incarnation: Int { state.withLock { $0.incarnation } }

    var inFlightCalls: Int { state.withLock { $0.child?.client }?.inFlight ?? 0 }

    var serviceTypeName: String? { state.withLock { $0.spec.child.serviceType } }

    /// How to reach the running incarnation's listening socket; nil when none runs.
    var introduction: PeerIntroduction? {
        guard let child = state.withLock({ $0.status == .running ? $0.child : nil }),
              let address = child.listenAddress
        else { return nil }
        return PeerIntroduction(process: id, pid: child.pid, socketPath: address, secret: child.secret)
    }

    var info: ProcessInfo {
        let snapshot = state.withLock { ($0.child?.pid, $0.status, $0.startTime, $0.restarts, $0.lastExit, $0.health) }
        return ProcessInfo(
            id: id,
            pid: snapshot.0,
            name: name,
            version: version,
            status: snapshot.1,
            startTime: snapshot.2,
            restarts: snapshot.3,
            residentMemory: snapshot.0.flatMap { ProcFS.residentBytes(of: $0) },
            lastExit: snapshot.4,
            isolation: .process,
            health: snapshot.5
        )
    }

    func emit(_ state: State, reason: String? = nil, reload: ReloadPhase? = nil) {
        let exit: Termination? = switch state.status {
        case .stopped, .crashed, .failed: state.lastExit
        default: nil
        }
        events.emit(ProcessEvent(
            process: id, name: name, status: state.status, pid: state.child?.pid,
            exitStatus: exit, restarts: state.restarts, reason: reason, time: Date(),
            lastOutput: exit == nil ? nil : state.lastOutput, reload: reload
        ))
    }

    // MARK: Calls

    func call(_ call: OutgoingCall) async throws -> CallReply {
        try await policies.run(call) { try await deliver($0) }
    }

    /// Sends `call` to the running incarnation, waiting for one while the process starts.
    private func deliver(_ call: OutgoingCall) async throws -> CallReply {
        while true {
            let client = try await currentClient(deadline: call.deadline, timeout: call.timeout)
            do {
                return try await client.call(call, reportNotSent: true)
            } catch let error as ProcessError where error.code == .shuttingDown && state.withLock({ $0.child?.client !== client }) {
                // A reload retired the incarnation the call went to, which refused it unrun:
                // the call goes to the incarnation that replaced it.
                continue
            } catch let notSent as CallClient.NotSent {
                // The child died before the call left. Once its exit is handled the call can wait
                // for a restart like any later call; until then this incarnation is current.
                let child = state.withLock { $0.child?.client === client ? $0.child : nil }
                let limit = clock.deadline(after: .seconds(5))
                if let child, await child.waitForExit(until: min(call.deadline ?? limit, limit)) == nil {
                    throw notSent.error
                }
            }
        }
    }

    /// The connection to the running incarnation; waits while the process is starting or
    /// restarting, at most until `deadline`.
    func currentClient(deadline: ClockInstant?, timeout: Duration?) async throws -> CallClient {
        // The common case, a running process, without parking anything.
        if let client = state.withLock({ $0.status == .running && $0.killed != $0.incarnation ? $0.child?.client : nil }) {
            return client
        }
        let id = self.id
        // Only a traced call looks: untraced calls take no extra lock.
        let waitingFor = CallTrace.span == nil ? nil : state.withLock { $0.status == .running ? nil : $0.status }
        if let waitingFor { CallTrace.event("titan.wait_for_process", ["titan.process": id.rawValue, "titan.status": "\(waitingFor)"]) }
        defer { if waitingFor != nil { CallTrace.event("titan.process_ready", ["titan.process": id.rawValue]) } }
        return try await ready.wait(
            for: nextWaiter.wrappingAdd(1, ordering: .relaxed).oldValue,
            deadline: deadline,
            onDeadline: { .failure(ProcessError.timedOut(after: timeout ?? .zero)) },
            immediate: {
                state.withLock { state -> Result<CallClient, any Error>? in
                    switch state.status {
                    case .running where state.killed == state.incarnation:
                        return nil
                    case .running:
                        if let client = state.child?.client { return .success(client) }
                        return .failure(ProcessError.notRunning(id, state.status))
                    case .crashed where state.awaitingSupervisor, .failed where state.awaitingSupervisor, .stopped where state.awaitingSupervisor,
                         .starting, .restarting:
                        return nil
                    case .crashed, .failed, .stopping, .stopped:
                        // Gone for good: the call never reached a process. (Calls in flight when
                        // it died got processExited from the connection.)
                        return .failure(ProcessError.notRunning(id, state.status, lastExit: state.lastExit))
                    }
                }
            }
        )
    }

    // MARK: Contract and health

    /// The service's manifest, as the caller knows it or the process reported it.
    var manifest: ServiceManifest? {
        get { state.withLock { $0.manifest } }
        set { state.withLock { $0.manifest = newValue } }
    }

    /// The manifest the caller knows, or else the one the process reports (kept).
    func contractManifest() async throws -> ServiceManifest? {
        if let known = manifest { return known }
        let reported = try await fetchManifest(timeout: options.callTimeout ?? .seconds(30))
        manifest = reported
        return reported
    }

    /// The process's cached methods' statistics, by method key.
    func cacheStatistics() async throws -> [String: CacheStatistics] {
        try await cacheStatistics(timeout: options.callTimeout ?? .seconds(30))
    }

    /// Asks the running incarnation for a description of its contract (a control request).
    func fetchManifest(timeout: Duration) async throws -> ServiceManifest? {
        let payload = try await control(.contract, timeout: timeout)
        return try WireDecoder().decode(ServiceManifest?.self, from: payload)
    }

    /// Asks the running incarnation for its cached methods' statistics, by method key.
    func cacheStatistics(timeout: Duration) async throws -> [String: CacheStatistics] {
        let payload = try await control(.policyStatistics, timeout: timeout)
        return try WireDecoder().decode([String: CacheStatistics].self, from: payload)
    }

    /// Checks the service's health with `probe` from now on.
    func monitorHealth(_ probe: ContractSetup.HealthProbe, emit: @escaping @Sendable (PolicyEvent) -> Void) {
        let monitor = HealthMonitor(process: self, probe: probe, system: system, emit: emit)
        state.withLock { $0.healthMonitor = monitor }
    }

    /// Records the answer of the service's `@HealthCheck` method.
    func recordHealth(_ status: HealthStatus) {
        state.withLock { $0.health = status }
    }

    /// A critical health check failed: the owner replaces a pool worker or supervised child
    /// (it is killed, which they see as a crash); any other process is restarted here.
    func restartUnhealthy(because reason: String) async {
        if ownerReplacesIt {
            try? kill(.kill)
            return
        }
        await stopForRestart(grace: options.stopTimeout, reason: "unhealthy: \(reason)")
        try? await startAfterRestart()
    }

    /// Sends `request` on the running incarnation's control channel, within `timeout`.
    private func control(_ request: ControlRequest, timeout: Duration) async throws -> [UInt8] {
        let deadline = clock.deadline(after: timeout)
        let child = try await runningChild(deadline: deadline, timeout: timeout)
        return try await child.control(request, timeout: clock.remaining(until: deadline))
    }

    /// A snapshot of the running incarnation's metrics registry, within `timeout`, on its
    /// control channel: a service busy with calls still reports.
    func metricsSnapshot(timeout: Duration) async throws -> MetricsSnapshot {
        let payload = try await control(.metrics, timeout: timeout)
        return try WireDecoder().decode(MetricsSnapshot.self, from: payload)
    }

    /// Asks the running incarnation for its health.
    func health() async throws -> HealthStatus {
        try await health(timeout: options.callTimeout ?? .seconds(30))
    }

    /// Asks the running incarnation for its health, on its control channel, waiting at most
    /// `timeout`: a service too busy to answer by then is reported unhealthy.
    func health(timeout: Duration) async throws -> HealthStatus {
        let deadline = clock.deadline(after: timeout)
        let child = try await runningChild(deadline: deadline, timeout: timeout)
        do {
            let payload = try await child.control(.health, timeout: clock.remaining(until: deadline))
            return try WireDecoder().decode(HealthStatus.self, from: payload)
        } catch let error as ProcessError where error.code == .timedOut {
            return HealthStatus(.unhealthy, message: "no answer to the health check within \(timeout): the service is busy or stuck")
        }
    }

    /// The running incarnation, waiting for a starting or restarting process as a call does.
    private func runningChild(deadline: ClockInstant, timeout: Duration) async throws -> ChildProcess {
        let client = try await currentClient(deadline: deadline, timeout: timeout)
        guard let child = state.withLock({ $0.child?.client === client ? $0.child : nil }) else {
            throw ProcessError.notRunning(id, status)
        }
        return child
    }

    // MARK: Launching

    /// Starts a new incarnation and returns once it takes calls.
    func launch() async throws {
        let (incarnation, spec) = state.withLock { state -> (Int, ChildSpec) in
            state.issued += 1
            state.incarnation = state.issued
            state.status = .starting
            state.child = nil
            emit(state)
            return (state.incarnation, state.spec)
        }
        let child: ChildProcess
        do {
            child = try await ChildProcess.start(
                spec, timeout: options.startTimeout, system: system, output: output,
                onExit: { [weak self] exit in self?.childExited(incarnation: incarnation, exit: exit) },
                onLaunch: { [weak self] child in self?.state.withLock { $0.launching = child } }
            )
        } catch {
            state.withLock { $0.launching = nil }
            throw error
        }
        let client = state.withLock { state -> CallClient? in
            state.launching = nil
            guard state.incarnation == incarnation, state.status == .starting, child.termination == nil else { return nil }
            state.child = child
            state.status = .running
            state.startTime = Date()
            emit(state)
            return child.client
        }
        guard let client else {
            child.signal(.kill)
            throw ProcessError.startFailed("the child exited while starting")
        }
        ready.resumeAll(with: .success(client))
        watchMemory(of: child)
        watchHeartbeats(of: child)
    }

    /// Sends the incarnation a heartbeat every ``Watchdog/interval`` while it lives, and kills
    /// it when one goes unanswered for ``Watchdog/timeout``.
    func watchHeartbeats(of child: ChildProcess) {
        guard let watchdog = options.watchdog else { return }
        clock.schedule(at: clock.deadline(after: watchdog.interval)) { [weak self, weak child] in
            guard let self, let child, child.termination == nil else { return }
            Task {
                do {
                    _ = try await child.control(.heartbeat, timeout: watchdog.timeout)
                    self.watchHeartbeats(of: child)
                } catch let error as ProcessError where error.code == .timedOut {
                    child.signal(.kill, reason: "watchdog: no answer to a heartbeat within \(watchdog.timeout)")
                } catch {
                    // The child is going away; its exit decides what follows.
                }
            }
        }
    }

    // MARK: Exits

    /// What an exit leaves to do once the lock is released.
    private enum ExitFollowUp {
        case nothing
        case failWaiters(ProcessError)
        case superviseExit(Int, Termination)
    }

    /// Called on the exit watcher's thread when incarnation `incarnation` has been reaped.
    func childExited(incarnation: Int, exit: ChildExit) {
        let status = exit.termination
        // A limit the child crossed is the reason its crash is reported with.
        let reason = exit.reason ?? options.limits.explain(status)
        let followUp = state.withLock { state -> ExitFollowUp in
            guard state.incarnation == incarnation else { return .nothing }
            state.lastExit = status
            state.lastOutput = exit.lastOutput
            switch (state.status, state.intent) {
            case (.starting, _), (_, .restart):
                // A start reports its own failure; a restart goes on to start the next incarnation.
                return .nothing
            case (_, .stop):
                state.status = .stopped
                emit(state)
                state.child = nil
                return .failWaiters(.notRunning(id, .stopped))
            case (_, .run) where supervisorHook != nil:
                state.status = status.isSuccess ? .stopped : .crashed
                state.awaitingSupervisor = true
                emit(state, reason: reason)
                state.child = nil
                return .superviseExit(incarnation, status)
            case (_, .run):
                state.status = status.isSuccess ? .stopped : .crashed
                emit(state, reason: reason)
                state.child = nil
                return applyRestartPolicy(&state, after: status).map { .failWaiters($0) } ?? .nothing
            }
        }
        switch followUp {
        case .nothing: break
        case .failWaiters(let error): ready.resumeAll(with: .failure(error))
        case .superviseExit(let incarnation, let status): supervisorHook?(incarnation, status)
        }
    }

    /// Decides what follows an unrequested exit: schedules a restart (and returns nil, so
    /// waiting callers keep waiting) or returns the error for the waiting callers. A crash
    /// that is not restarted ends in ``ProcessStatus/failed``: `crashed` never lasts.
    private func applyRestartPolicy(_ state: inout State, after status: Termination) -> ProcessError? {
        switch state.scheduler.decide(after: status, at: clock.now) {
        case .none:
            if state.status == .crashed {
                state.status = .failed
                emit(state, reason: "not restarted: the restart policy is \(options.restartPolicy.mode)")
            }
            return .notRunning(id, state.status, lastExit: status)
        case .giveUp(let restarts):
            state.status = .failed
            emit(state, reason: "gave up after \(restarts) restarts within \(options.restartPolicy.window)")
            return .notRunning(id, .failed, lastExit: status)
        case .restart(let delay, let attempt):
            state.status = .restarting
            emit(state, reason: "restart \(attempt) of at most \(options.restartPolicy.maxRestarts) in \(options.restartPolicy.window), after \(delay)")
            let clock = clock
            state.restartTask = Task { [weak self] in
                try? await clock.sleep(for: delay)
                guard !Task.isCancelled else { return }
                await self?.restartAfterCrash()
            }
            return nil
        }
    }

    private func restartAfterCrash() async {
        let proceed = state.withLock { state -> Bool in
            guard state.status == .restarting, state.intent == .run else { return false }
            state.restarts += 1
            return true
        }
        guard proceed else { return }
        do {
            try await launch()
        } catch {
            // A failed start counts as another crash.
            let failure = state.withLock { state -> ProcessError? in
                guard state.intent == .run, state.status == .starting else { return nil }
                let exit = state.lastExit ?? .exited(code: -1)
                state.status = .crashed
                emit(state, reason: "\(error)")
                return applyRestartPolicy(&state, after: exit.isSuccess ? .exited(code: -1) : exit)
            }
            if let failure { ready.resumeAll(with: .failure(failure)) }
        }
    }

    // MARK: Stopping

    /// Sends `signal` to the current incarnation; the exit that follows counts as a crash.
    /// After a signal that ends a process, calls wait for what follows the exit.
    func kill(_ signal: Signal) throws {
        let child = state.withLock { state -> ChildProcess? in
            if signal.endsProcess, state.status == .running { state.killed = state.incarnation }
            return state.child
        }
        guard let child, child.signal(signal) else {
            throw ProcessError.notRunning(id, status, lastExit: state.withLock { $0.lastExit })
        }
    }

    /// Graceful stop: a shutdown request (the service's hook runs), then SIGTERM, then
    /// SIGKILL, each after `grace`. Returns once the process has exited.
    func stop(grace: Duration) async {
        let current = state.withLock { state -> (child: ChildProcess?, failWaiters: Bool)? in
            guard !state.status.isTerminal else { return nil }
            state.intent = .stop
            state.healthMonitor?.stop()
            state.healthMonitor = nil
            state.restartTask?.cancel()
            state.restartTask = nil
            state.awaitingSupervisor = false
            guard let child = state.child else {
                state.status = .stopped
                emit(state)
                return (nil, true)
            }
            state.status = .stopping
            emit(state)
            return (child, false)
        }
        guard let current else { return }
        if current.failWaiters { ready.resumeAll(with: .failure(ProcessError.notRunning(id, .stopped))) }
        if let child = current.child { _ = await KillLadder(grace: grace).stop(child, clock: clock) }
    }

    /// Stops the current incarnation and starts a new one; the restart counter moves.
    func restart() async throws {
        await stopForRestart(grace: options.stopTimeout, reason: "restart requested")
        try await startAfterRestart()
    }

    /// First half of a restart: callers from now on wait, and the current incarnation is
    /// stopped (graceful request, SIGTERM, SIGKILL, each after `grace`).
    func stopForRestart(grace: Duration, reason: String) async {
        let child = state.withLock { state -> ChildProcess? in
            state.intent = .restart
            state.restartTask?.cancel()
            state.restartTask = nil
            state.status = .restarting
            emit(state, reason: reason)
            return state.child
        }
        if let child { _ = await KillLadder(grace: grace).stop(child, clock: clock) }
    }

    /// Second half of a restart, or a supervisor's restart after a crash: a new incarnation;
    /// the callers that waited get it.
    func startAfterRestart() async throws {
        state.withLock { state in
            state.intent = .run
            state.restarts += 1
            state.awaitingSupervisor = false
        }
        do {
            try await launch()
        } catch {
            let failWaiters = state.withLock { state -> Bool in
                state.status = .crashed
                emit(state, reason: "restart failed: \(error)")
                if supervisorHook != nil {
                    state.awaitingSupervisor = true
                    return false
                }
                state.status = .failed
                emit(state, reason: "restart failed: \(error)")
                return true
            }
            if failWaiters { ready.resumeAll(with: .failure(error)) }
            throw error
        }
    }

    /// The supervisor will not start this process again: callers waiting for it fail.
    func releaseWaiters() {
        let error = state.withLock { state -> ProcessError in
            state.awaitingSupervisor = false
            if state.status == .crashed {
                state.status = .failed
                emit(state, reason: "not restarted by its supervisor")
            }
            return ProcessError.notRunning(id, state.status, lastExit: state.lastExit)
        }
        ready.resumeAll(with: .failure(error))
    }
}
