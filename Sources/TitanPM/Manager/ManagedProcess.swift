import FoundationEssentials
import Glibc
import Synchronization

/// The recipe for launching a child; every incarnation of a process uses the same one.
struct ChildSpec: Sendable {
    var executable: String
    var arguments: [String]
    var environment: [String: String]
    var workingDirectory: String?
    var child: ChildEnvironment
    var configuration: [UInt8]
}

/// One logical process of a ``ProcessManager``: launches incarnations of its child, routes
/// calls to the current one, and applies the restart policy when one dies.
///
/// All state changes happen under one lock, and events are emitted under it, so a process's
/// events arrive in the order its states changed.
final class ManagedProcess: CallRoute, Sendable {
    /// What the manager wants from the process, which decides what an exit means.
    private enum Intent {
        case run
        case stop
        case restart
    }

    private struct ReadyWaiter {
        var continuation: UnsafeContinuation<CallClient, any Error>
        var timer: UInt64?
    }

    private struct State {
        var status: ProcessStatus = .starting
        var incarnation = 0
        var pid: Int32?
        var client: CallClient?
        var controlFD: Int32 = -1
        var startTime: Date?
        var restarts = 0
        /// Monotonic times of policy restarts, pruned to the policy's window.
        var policyRestarts: [UInt64] = []
        var lastExit: Termination?
        var intent = Intent.run
        var nextWaiter: UInt64 = 0
        var readyWaiters: [UInt64: ReadyWaiter] = [:]
        var exitWaiters: [UInt64: UnsafeContinuation<Bool, Never>] = [:]
        var restartTask: Task<Void, Never>?
        /// A supervised process that exited on its own: callers wait for the supervisor's
        /// decision (a new incarnation, or ``releaseWaiters()``).
        var awaitingSupervisor = false
    }

    let id: ProcessID
    let name: String
    let version: String
    private let spec: ChildSpec
    let options: SpawnOptions
    private let events: EventHub
    private let system: ProcessActorSystem
    private let state = Mutex(State())
    /// Set for a process a ``Supervisor`` looks after: told of every exit it did not request,
    /// with the incarnation that exited; the restart policy is then the supervisor's.
    private let supervisorHook: (@Sendable (Int, Termination) -> Void)?

    init(id: ProcessID, name: String, version: String, spec: ChildSpec, options: SpawnOptions, events: EventHub, system: ProcessActorSystem,
         supervisorHook: (@Sendable (Int, Termination) -> Void)? = nil) {
        self.system = system
        self.supervisorHook = supervisorHook
        self.id = id
        self.name = name
        self.version = version
        self.spec = spec
        self.options = options
        self.events = events
    }

    deinit {
        // The manager let go without stopping: the child must not outlive its handle.
        let (pid, controlFD) = state.withLock { ($0.pid, $0.controlFD) }
        if let pid { Glibc.kill(pid, SIGKILL) }
        if controlFD >= 0 { close(controlFD) }
    }

    var defaultCallTimeout: Duration? { options.callTimeout }

    var status: ProcessStatus { state.withLock { $0.status } }

    var pid: Int32? { state.withLock { $0.pid } }

    var affinityExecutor: (any TaskExecutor)? { state.withLock { $0.client }?.executor }

    var incarnation: Int { state.withLock { $0.incarnation } }

    var inFlightCalls: Int { state.withLock { $0.client }?.inFlight ?? 0 }

    var info: ProcessInfo {
        let snapshot = state.withLock { $0 }
        return ProcessInfo(
            id: id,
            pid: snapshot.pid,
            name: name,
            version: version,
            status: snapshot.status,
            startTime: snapshot.startTime,
            restarts: snapshot.restarts,
            residentMemory: snapshot.pid.flatMap { ProcFS.residentBytes(of: $0) },
            lastExit: snapshot.lastExit,
            isolation: .process
        )
    }

    private func emit(_ state: State, reason: String? = nil) {
        let exit: Termination? = switch state.status {
        case .stopped, .crashed, .failed: state.lastExit
        default: nil
        }
        events.emit(ProcessEvent(
            process: id, name: name, status: state.status, pid: state.pid,
            exitStatus: exit, restarts: state.restarts, reason: reason, time: Date()
        ))
    }

    // MARK: Calls

    func call(_ frame: FrameBuilder, timeout: Duration?) async throws -> Frame {
        let deadline = timeout.map { DeadlineTimer.deadline(after: $0) }
        while true {
            let client = try await currentClient(deadline: deadline, timeout: timeout)
            let remaining = deadline.map { DeadlineTimer.remaining(until: $0) }
            do {
                return try await client.call(frame, timeout: remaining, reportedTimeout: timeout, reportNotSent: true)
            } catch let notSent as CallClient.NotSent {
                // The child died. The call never left, so once the exit is handled it can wait
                // for a restart like any later call. While `client` is still the current one
                // its incarnation's exit has not been processed: wait for that.
                let pending = state.withLock { $0.client === client ? $0.incarnation : nil }
                let wait = remaining.map { min($0, .seconds(5)) } ?? .seconds(5)
                if let pending, await !waitForExit(incarnation: pending, timeout: wait) { throw notSent.error }
            }
        }
    }

    /// The connection to the running incarnation; waits while the process is starting or
    /// restarting, at most until `deadline`.
    func currentClient(deadline: UInt64?, timeout: Duration?) async throws -> CallClient {
        try await withUnsafeThrowingContinuation { continuation in
            let immediate = state.withLock { state -> Result<CallClient, any Error>? in
                switch state.status {
                case .running:
                    if let client = state.client { return .success(client) }
                    return .failure(ProcessError.notRunning(id, state.status))
                case .crashed where state.awaitingSupervisor, .failed where state.awaitingSupervisor, .stopped where state.awaitingSupervisor:
                    fallthrough
                case .starting, .restarting:
                    let key = state.nextWaiter
                    state.nextWaiter += 1
                    var timer: UInt64?
                    if let deadline, let timeout {
                        timer = DeadlineTimer.shared.schedule(at: deadline) { [weak self] in
                            self?.expireWaiter(key, timeout: timeout)
                        }
                    }
                    state.readyWaiters[key] = ReadyWaiter(continuation: continuation, timer: timer)
                    return nil
                case .crashed, .failed:
                    return .failure(state.lastExit.map { ProcessError.processExited(id, $0) } ?? ProcessError.notRunning(id, state.status))
                case .stopping, .stopped:
                    return .failure(ProcessError.notRunning(id, state.status))
                }
            }
            if let immediate { continuation.resume(with: immediate) }
        }
    }

    private func expireWaiter(_ key: UInt64, timeout: Duration) {
        let waiter = state.withLock { $0.readyWaiters.removeValue(forKey: key) }
        waiter?.continuation.resume(throwing: ProcessError.timedOut(after: timeout))
    }

    /// Takes every waiting caller out of `state`; resume them after unlocking.
    private func takeReadyWaiters(_ state: inout State) -> [ReadyWaiter] {
        defer { state.readyWaiters.removeAll() }
        return Array(state.readyWaiters.values)
    }

    private func resume(_ waiters: [ReadyWaiter], with result: Result<CallClient, any Error>) {
        for waiter in waiters {
            if let timer = waiter.timer { DeadlineTimer.shared.cancel(timer) }
            waiter.continuation.resume(with: result)
        }
    }

    /// Asks the running incarnation for its health.
    func health() async throws -> HealthStatus {
        try await health(timeout: options.callTimeout ?? .seconds(30))
    }

    /// Asks the running incarnation for its health, waiting at most `timeout`.
    func health(timeout: Duration) async throws -> HealthStatus {
        let client = try await currentClient(deadline: DeadlineTimer.deadline(after: timeout), timeout: timeout)
        let reply = try await client.call(FrameBuilder.control(.health), timeout: timeout)
        let decoder = WireDecoder()
        guard reply.kind == .reply else {
            var reader = reply.reader
            throw RemoteFailure.read(from: &reader, decoder: decoder)
        }
        return try decoder.decode(HealthStatus.self, from: reply.payload)
    }

    // MARK: Launching

    /// Starts a new incarnation and returns once it takes calls.
    func launch() async throws {
        let incarnation = state.withLock { state -> Int in
            state.incarnation += 1
            state.status = .starting
            state.pid = nil
            emit(state)
            return state.incarnation
        }
        do {
            try await launchIncarnation(incarnation)
        } catch {
            // Make sure nothing of the failed incarnation outlives it.
            let pid = state.withLock { $0.incarnation == incarnation ? $0.pid : nil }
            if let pid {
                Glibc.kill(pid, SIGKILL)
                _ = await waitForExit(incarnation: incarnation, timeout: .seconds(5))
            }
            throw error
        }
    }

    private func launchIncarnation(_ incarnation: Int) async throws {
        let (parentEnd, childEnd): (Int32, Int32)
        do {
            (parentEnd, childEnd) = try UnixSocket.pair()
        } catch {
            throw ProcessError.startFailed("\(error)")
        }
        // `parentEnd` goes to the state, and is closed when the child exits, possibly while the
        // start below still reads the child's failure report: the start uses its own copy.
        let startEnd = fcntl(parentEnd, F_DUPFD_CLOEXEC, 0)
        guard startEnd >= 0 else {
            let error = ProcessError.startFailed("cannot duplicate the control socket: \(String(cString: strerror(errno)))")
            close(parentEnd)
            close(childEnd)
            throw error
        }
        defer { close(startEnd) }
        let request = LaunchRequest(
            executable: spec.executable,
            arguments: spec.arguments,
            environment: spec.environment,
            workingDirectory: spec.workingDirectory,
            descriptors: [(parentFD: childEnd, childFD: ChildEnvironment.controlFD)]
        )
        let pid: Int32
        do {
            pid = try await ChildLauncher.shared.launch(request)
        } catch {
            close(parentEnd)
            close(childEnd)
            throw ProcessError.startFailed("\(error)")
        }
        close(childEnd)
        state.withLock { state in
            state.pid = pid
            state.controlFD = parentEnd
        }
        do {
            try ExitWatcher.shared.watch(pid: pid) { [weak self] status in
                self?.childExited(incarnation: incarnation, pid: pid, status: status)
            }
        } catch {
            Glibc.kill(pid, SIGKILL)
            throw ProcessError.startFailed("cannot watch child \(pid): \(error)")
        }

        guard UnixSocket.writeMessage(startEnd, spec.configuration) else {
            throw await startFailure(incarnation, "the child closed its control socket before reading its configuration")
        }
        switch await Self.awaitReadiness(fd: startEnd, timeout: options.startTimeout, maxSize: spec.child.maxFrameSize) {
        case .ready:
            break
        case .failed(let why):
            throw ProcessError.startFailed(why)
        case .closed:
            throw await startFailure(incarnation, "the child exited before it was ready")
        case .timedOut:
            throw ProcessError.startFailed("not ready within \(options.startTimeout)")
        }

        let (client, _) = try await CallClient.connect(
            path: spec.child.socketPath,
            maxFrameSize: spec.child.maxFrameSize,
            timeout: options.startTimeout,
            callerName: "manager",
            system: system
        ) { [weak self] client, reason in
            self?.connectionClosed(client, reason: reason, incarnation: incarnation)
        }
        let outcome = state.withLock { state -> (waiters: [ReadyWaiter], ok: Bool) in
            guard state.incarnation == incarnation, state.pid == pid, state.status == .starting else {
                return ([], false)
            }
            state.client = client
            state.status = .running
            state.startTime = Date()
            emit(state)
            return (takeReadyWaiters(&state), true)
        }
        guard outcome.ok else {
            client.failAll(ProcessError.notRunning(id, status))
            throw ProcessError.startFailed("the child exited while connecting")
        }
        resume(outcome.waiters, with: .success(client))
    }

    /// The error for a child that went away during start, with its exit status if known.
    private func startFailure(_ incarnation: Int, _ what: String) async -> ProcessError {
        _ = await waitForExit(incarnation: incarnation, timeout: .seconds(2))
        let exit = state.withLock { $0.incarnation == incarnation ? $0.lastExit : nil }
        return .startFailed(exit.map { "\(what) (\($0))" } ?? what)
    }

    private enum Readiness {
        case ready
        case failed(String)
        case closed
        case timedOut
    }

    /// Waits on a helper thread for the child's one readiness message.
    private static func awaitReadiness(fd: Int32, timeout: Duration, maxSize: Int) async -> Readiness {
        await withUnsafeContinuation { continuation in
            startDetachedThread(name: "titan-ready") {
                let (seconds, attoseconds) = timeout.components
                let millis = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
                var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                var rc: Int32
                repeat {
                    rc = poll(&pollfd, 1, millis)
                } while rc < 0 && errno == EINTR
                guard rc > 0 else {
                    continuation.resume(returning: .timedOut)
                    return
                }
                guard let bytes = UnixSocket.readMessage(fd, limit: maxSize), let report = try? ReadinessReport(bytes: bytes) else {
                    continuation.resume(returning: .closed)
                    return
                }
                switch report {
                case .ready: continuation.resume(returning: .ready)
                case .failed(let why): continuation.resume(returning: .failed(why))
                }
            }
        }
    }

    // MARK: Exits

    private func connectionClosed(_ client: CallClient, reason: Connection.CloseReason, incarnation: Int) {
        // A child that dies closes its socket: the exit watcher reports that and fails the
        // calls with the exit status. A connection that breaks while the child lives is
        // different: its calls fail now, and the process is treated as unusable.
        Task { [weak self] in
            guard let self else { return }
            if await self.waitForExit(incarnation: incarnation, timeout: .milliseconds(500)) { return }
            client.failAll(ProcessError.connectionLost("\(reason)"))
            let pid = self.state.withLock { $0.incarnation == incarnation ? $0.pid : nil }
            if let pid { Glibc.kill(pid, SIGKILL) }
        }
    }

    /// Called on the exit watcher's thread when incarnation `incarnation` has been reaped.
    private func childExited(incarnation: Int, pid: Int32, status: Termination) {
        let outcome = state.withLock { state -> ExitOutcome? in
            guard state.incarnation == incarnation else { return nil }
            // Before any event goes out: whoever sees "crashed" or "stopped" finds no socket file.
            unlink(spec.child.socketPath)
            var outcome = ExitOutcome(client: state.client, controlFD: state.controlFD)
            state.client = nil
            state.controlFD = -1
            state.lastExit = status
            outcome.exitWaiters = Array(state.exitWaiters.values)
            state.exitWaiters.removeAll()

            switch (state.status, state.intent) {
            case (.starting, _):
                // launch() reads the child's report, or the end of its control socket, from
                // its own copy of the socket and reports the failure.
                state.pid = nil
            case (_, .restart):
                state.pid = nil
            case (_, .stop):
                state.status = .stopped
                emit(state)
                state.pid = nil
                outcome.readyWaiters = takeReadyWaiters(&state)
                outcome.waiterError = ProcessError.notRunning(id, .stopped)
            case (_, .run) where supervisorHook != nil:
                state.status = status.isSuccess ? .stopped : .crashed
                state.awaitingSupervisor = true
                emit(state)
                state.pid = nil
                outcome.supervised = (incarnation, status)
            case (_, .run):
                state.status = status.isSuccess ? .stopped : .crashed
                emit(state)
                state.pid = nil
                outcome.waiterError = applyRestartPolicy(&state, after: status)
                if outcome.waiterError != nil { outcome.readyWaiters = takeReadyWaiters(&state) }
            }
            return outcome
        }
        guard let outcome else { return }
        if outcome.controlFD >= 0 { close(outcome.controlFD) }
        outcome.client?.failAll(ProcessError.processExited(id, status))
        if let error = outcome.waiterError { resume(outcome.readyWaiters, with: .failure(error)) }
        for waiter in outcome.exitWaiters { waiter.resume(returning: true) }
        if let (incarnation, status) = outcome.supervised { supervisorHook?(incarnation, status) }
    }

    private struct ExitOutcome {
        var client: CallClient?
        var controlFD: Int32
        var exitWaiters: [UnsafeContinuation<Bool, Never>] = []
        var readyWaiters: [ReadyWaiter] = []
        var waiterError: ProcessError?
        var supervised: (Int, Termination)?
    }

    /// Decides what follows an unrequested exit: schedules a restart (and returns nil, so
    /// waiting callers keep waiting) or returns the error for the waiting callers.
    private func applyRestartPolicy(_ state: inout State, after status: Termination) -> ProcessError? {
        let policy = options.restartPolicy
        guard policy.wantsRestart(after: status) else {
            return .processExited(id, status)
        }
        let now = DeadlineTimer.now()
        let window = policy.window.wholeNanoseconds
        state.policyRestarts.removeAll { now &- $0 > window }
        guard state.policyRestarts.count < policy.maxRestarts else {
            state.status = .failed
            emit(state, reason: "gave up after \(state.policyRestarts.count) restarts within \(policy.window)")
            return .processExited(id, status)
        }
        let attempt = state.policyRestarts.count
        state.policyRestarts.append(now)
        let delay = policy.backoff.delay(attempt: attempt)
        state.status = .restarting
        emit(state, reason: "restart \(attempt + 1) of at most \(policy.maxRestarts) in \(policy.window), after \(delay)")
        state.restartTask = Task { [weak self] in
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            await self?.restartAfterCrash()
        }
        return nil
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
            let waiters = state.withLock { state -> (waiters: [ReadyWaiter], error: ProcessError?) in
                guard state.intent == .run, state.status == .starting else { return ([], nil) }
                let exit = state.lastExit ?? .exited(code: -1)
                state.status = .crashed
                emit(state, reason: "\(error)")
                guard let error = applyRestartPolicy(&state, after: exit.isSuccess ? .exited(code: -1) : exit) else { return ([], nil) }
                return (takeReadyWaiters(&state), error)
            }
            if let error = waiters.error { resume(waiters.waiters, with: .failure(error)) }
        }
    }

    /// Waits until incarnation `incarnation` has exited; false if `timeout` passes first.
    private func waitForExit(incarnation: Int, timeout: Duration) async -> Bool {
        await withUnsafeContinuation { continuation in
            let key = state.withLock { state -> UInt64? in
                guard state.incarnation == incarnation, state.pid != nil else { return nil }
                let key = state.nextWaiter
                state.nextWaiter += 1
                state.exitWaiters[key] = continuation
                return key
            }
            guard let key else {
                continuation.resume(returning: true)
                return
            }
            DeadlineTimer.shared.schedule(at: DeadlineTimer.deadline(after: timeout)) { [weak self] in
                let waiter = self?.state.withLock { $0.exitWaiters.removeValue(forKey: key) }
                waiter?.resume(returning: false)
            }
        }
    }

    // MARK: Stopping

    /// Sends `signal` to the current incarnation; the exit that follows counts as a crash.
    func kill(_ signal: Signal) throws {
        guard let pid = state.withLock({ $0.pid }) else {
            throw ProcessError.notRunning(id, status)
        }
        Glibc.kill(pid, signal.rawValue)
    }

    /// Graceful stop: a shutdown request (the service's hook runs), then SIGTERM, then
    /// SIGKILL, each after `grace`. Returns once the process has exited.
    func stop(grace: Duration) async {
        let current = state.withLock { state -> (incarnation: Int, client: CallClient?, waiters: [ReadyWaiter])? in
            guard !state.status.isTerminal else { return nil }
            state.intent = .stop
            state.restartTask?.cancel()
            state.restartTask = nil
            state.awaitingSupervisor = false
            guard state.pid != nil else {
                state.status = .stopped
                emit(state)
                return (state.incarnation, nil, takeReadyWaiters(&state))
            }
            state.status = .stopping
            emit(state)
            return (state.incarnation, state.client, [])
        }
        guard let current else { return }
        resume(current.waiters, with: .failure(ProcessError.notRunning(id, .stopped)))
        await killLadder(incarnation: current.incarnation, client: current.client, grace: grace)
    }

    /// Stops the current incarnation and starts a new one; the restart counter moves.
    func restart() async throws {
        await stopForRestart(grace: options.stopTimeout, reason: "restart requested")
        try await startAfterRestart()
    }

    /// First half of a restart: callers from now on wait, and the current incarnation is
    /// stopped (graceful request, SIGTERM, SIGKILL, each after `grace`).
    func stopForRestart(grace: Duration, reason: String) async {
        let current = state.withLock { state -> (incarnation: Int, client: CallClient?) in
            state.intent = .restart
            state.restartTask?.cancel()
            state.restartTask = nil
            state.status = .restarting
            emit(state, reason: reason)
            return (state.incarnation, state.client)
        }
        await killLadder(incarnation: current.incarnation, client: current.client, grace: grace)
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
            let failure = state.withLock { state -> [ReadyWaiter] in
                state.status = .crashed
                emit(state, reason: "restart failed: \(error)")
                if supervisorHook != nil {
                    state.awaitingSupervisor = true
                    return []
                }
                return takeReadyWaiters(&state)
            }
            resume(failure, with: .failure(error))
            throw error
        }
    }

    /// The supervisor will not start this process again: callers waiting for it fail.
    func releaseWaiters() {
        let (waiters, error) = state.withLock { state -> ([ReadyWaiter], ProcessError) in
            state.awaitingSupervisor = false
            let error = state.lastExit.map { ProcessError.processExited(id, $0) } ?? ProcessError.notRunning(id, state.status)
            return (takeReadyWaiters(&state), error)
        }
        resume(waiters, with: .failure(error))
    }

    private func killLadder(incarnation: Int, client: CallClient?, grace: Duration) async {
        if let client {
            _ = try? await client.call(FrameBuilder.control(.shutdown(timeout: grace)), timeout: grace)
            if await waitForExit(incarnation: incarnation, timeout: grace) { return }
        }
        guard let pid = state.withLock({ $0.incarnation == incarnation ? $0.pid : nil }) else { return }
        Glibc.kill(pid, SIGTERM)
        if await waitForExit(incarnation: incarnation, timeout: grace) { return }
        Glibc.kill(pid, SIGKILL)
        _ = await waitForExit(incarnation: incarnation, timeout: .seconds(10))
    }
}

extension FrameBuilder {
    /// A `control` frame carrying `request`.
    static func control(_ request: ControlRequest) -> FrameBuilder {
        var builder = FrameBuilder(kind: .control)
        builder.writer.writeBytes(request.payload)
        return builder
    }
}
