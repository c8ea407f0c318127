import CTitan
import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

/// One running incarnation of a child: launched, ready, connected, watched until it exits.
///
/// The whole start lives here, in order: a socketpair for control, `posix_spawn`, a pidfd,
/// the exit watch, the configuration written on the control socket, the child's one readiness
/// report, the connection for calls and its hello/welcome. A start that fails at any step
/// kills what it started, waits for it to be reaped, and throws a ``ProcessError`` whose code
/// says which step: ``ProcessError/Code/executableNotFound``, ``ProcessError/Code/startTimedOut``,
/// ``ProcessError/Code/configurationFailed`` or ``ProcessError/Code/startFailed``.
///
/// Exit and end-of-stream are ordered without a timed guess: the owner's `onExit` runs once,
/// after the child has been reaped, and is the only place an exit is decided. When the calls'
/// connection ends while no stop was asked for, the child is no longer reachable: it is
/// killed (a no-op for a child already exiting, whose exit status stands) and the exit follows.
package final class ChildProcess: Sendable {
    private struct State {
        var exit: Termination?
        var client: CallClient?
        var stopRequested = false
        var controlFD: Int32
        var pidfd: Int32
    }

    /// The child's OS process id.
    package let pid: Int32
    /// The managed process this child is an incarnation of.
    package let id: ProcessID
    private let state: Mutex<State>
    private let exited: WaiterTable<Termination>
    private let clock: any RuntimeClock
    private let onExit: @Sendable (Termination) -> Void
    private let nextWaiter = Atomic<UInt64>(0)

    private init(id: ProcessID, pid: Int32, pidfd: Int32, controlFD: Int32, clock: any RuntimeClock, onExit: @escaping @Sendable (Termination) -> Void) {
        self.id = id
        self.pid = pid
        self.clock = clock
        self.onExit = onExit
        state = Mutex(State(controlFD: controlFD, pidfd: pidfd))
        exited = WaiterTable(clock: clock)
    }

    deinit {
        let (controlFD, pidfd) = state.withLock { ($0.controlFD, $0.pidfd) }
        if controlFD >= 0 { close(controlFD) }
        if pidfd >= 0 { close(pidfd) }
    }

    /// The connection for calls; set once the child is ready.
    package var client: CallClient? { state.withLock { $0.client } }

    /// How the child ended, once it has been reaped.
    package var termination: Termination? { state.withLock { $0.exit } }

    /// Starts a child from `spec` and returns once it takes calls, within `timeout`.
    ///
    /// `onExit` runs once, on the exit watcher's thread, after the child has been reaped —
    /// also when the start fails after the launch. The calls' connection reports to `system`'s
    /// streams; `onUnreachable` runs when that connection ends without a stop being requested
    /// (the child is then killed and `onExit` follows). When `spec` captures outputs,
    /// `output` makes the handler for this incarnation's lines and records, given its pid.
    package static func start(
        _ spec: ChildSpec,
        timeout: Duration,
        system: ProcessActorSystem,
        output: (@Sendable (Int32) -> any ChildOutputHandler)? = nil,
        onExit: @escaping @Sendable (Termination) -> Void,
        onUnreachable: @escaping @Sendable (ConnectionCloseReason) -> Void = { _ in }
    ) async throws -> ChildProcess {
        let clock = system.clock
        let deadline = clock.deadline(after: timeout)
        let (parentEnd, childEnd): (Int32, Int32)
        do {
            (parentEnd, childEnd) = try UnixSocket.pair()
        } catch {
            throw ProcessError.startFailed("cannot create the control socket: \(error)", cause: error)
        }
        var pipes: ChildOutputPipes?
        if output != nil, !spec.captured.isEmpty {
            do {
                pipes = try ChildOutputPipes.make(spec.captured)
            } catch {
                close(parentEnd)
                close(childEnd)
                throw error
            }
        }
        let request = LaunchRequest(
            executable: spec.executable,
            arguments: spec.arguments,
            environment: spec.environment,
            workingDirectory: spec.workingDirectory,
            descriptors: [(parentFD: childEnd, childFD: ChildEnvironment.controlFD)] + (pipes?.childEnds ?? [])
        )
        let pid: Int32
        do {
            pid = try await ChildLauncher.shared.launch(request)
        } catch let failure as SpawnFailure {
            close(parentEnd)
            close(childEnd)
            pipes?.closeAll()
            let code: ProcessError.Code = failure.errno == ENOENT || failure.errno == EACCES ? .executableNotFound : .startFailed
            throw ProcessError(code, "process failed to start: \(failure)", cause: failure)
        }
        close(childEnd)
        if let pipes, let output {
            pipes.closeChildEnds()
            ChildOutputReader.start(pipes, name: String(pid), handler: output(pid))
        }
        // Until the exit watcher reaps it, the pid stays ours: the pidfd names exactly this child.
        let pidfd = titan_pidfd_open(pid)
        let child = ChildProcess(id: spec.child.processID, pid: pid, pidfd: pidfd, controlFD: parentEnd, clock: clock, onExit: onExit)
        do {
            try ExitWatcher.shared.watch(pid: pid) { [child] status in child.reaped(status) }
        } catch {
            Glibc.kill(pid, SIGKILL)
            throw ProcessError.startFailed("cannot watch child \(pid): \(error)", cause: error)
        }
        do {
            try await child.handshake(spec, deadline: deadline, timeout: timeout, system: system, onUnreachable: onUnreachable)
        } catch {
            // Nothing of a failed start outlives it.
            child.signal(.kill)
            _ = await child.waitForExit(until: .distantFuture)
            throw error
        }
        return child
    }

    /// The configuration out, the readiness report in, then the calls' connection.
    private func handshake(
        _ spec: ChildSpec,
        deadline: ClockInstant,
        timeout: Duration,
        system: ProcessActorSystem,
        onUnreachable: @escaping @Sendable (ConnectionCloseReason) -> Void
    ) async throws {
        // The exit path closes the shared descriptor: the start reads from its own copy.
        let control = state.withLock { fcntl($0.controlFD, F_DUPFD_CLOEXEC, 0) }
        guard control >= 0 else {
            throw ProcessError.startFailed("cannot duplicate the control socket: \(String(cString: strerror(errno)))")
        }
        defer { close(control) }
        guard UnixSocket.writeMessage(control, spec.configuration) else {
            throw await exitedDuringStart("the child closed its control socket before reading its configuration")
        }
        switch await Self.awaitReadiness(fd: control, timeout: clock.remaining(until: deadline), maxSize: spec.child.maxFrameSize) {
        case .ready:
            break
        case .failed(let stage, let reason):
            let code: ProcessError.Code = switch stage {
            case .serviceNotFound: .serviceNotFound
            case .configuration: .configurationFailed
            case .start: .startFailed
            }
            throw ProcessError(code, "process failed to start: \(reason)")
        case .closed:
            throw await exitedDuringStart("the child exited before it was ready")
        case .timedOut:
            throw ProcessError(.startTimedOut, "process failed to start: not ready within \(timeout)", timeout: timeout)
        }
        let (client, _) = try await CallClient.connect(
            path: spec.child.socketPath,
            maxFrameSize: spec.child.maxFrameSize,
            timeout: clock.remaining(until: deadline),
            callerName: "manager",
            system: system,
            clock: clock
        ) { [weak self] _, reason in
            self?.connectionEnded(reason, onUnreachable: onUnreachable)
        }
        let alive = state.withLock { state -> Bool in
            guard state.exit == nil else { return false }
            state.client = client
            return true
        }
        guard alive else {
            client.failAll(ProcessError.startFailed("the child exited while connecting"))
            throw await exitedDuringStart("the child exited while connecting")
        }
    }

    /// The error for a child that went away during its start, with its exit status.
    private func exitedDuringStart(_ what: String) async -> ProcessError {
        let exit = await waitForExit(until: clock.deadline(after: .seconds(5)))
        return .startFailed(exit.map { "\(what) (\($0))" } ?? what)
    }

    private enum Readiness {
        case ready
        case failed(ReadinessReport.Stage, String)
        case closed
        case timedOut
    }

    /// Waits on a helper thread for the child's one readiness message.
    private static func awaitReadiness(fd: Int32, timeout: Duration, maxSize: Int) async -> Readiness {
        await withUnsafeContinuation { continuation in
            startDetachedThread(name: "titan-ready") {
                let millis = Int32(clamping: timeout.wholeNanoseconds / 1_000_000)
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
                case .failed(let stage, let reason): continuation.resume(returning: .failed(stage, reason))
                }
            }
        }
    }

    // MARK: Exit

    /// The calls' connection ended. A stop in progress expects that; otherwise the child can
    /// no longer be reached and is killed, and the exit decides what the calls get.
    private func connectionEnded(_ reason: ConnectionCloseReason, onUnreachable: @Sendable (ConnectionCloseReason) -> Void) {
        let expected = state.withLock { $0.stopRequested || $0.exit != nil }
        guard !expected else { return }
        onUnreachable(reason)
        signal(.kill)
    }

    /// Called once the exit watcher has reaped the child.
    private func reaped(_ status: Termination) {
        let (client, controlFD, pidfd) = state.withLock { state -> (CallClient?, Int32, Int32) in
            state.exit = status
            defer {
                state.controlFD = -1
                state.pidfd = -1
            }
            return (state.client, state.controlFD, state.pidfd)
        }
        if controlFD >= 0 { close(controlFD) }
        if pidfd >= 0 { close(pidfd) }
        onExit(status)
        client?.failAll(ProcessError.processExited(id, status))
        exited.resumeAll(with: .success(status))
    }

    /// Waits until the child has been reaped, at most until `deadline`; its termination, or
    /// nil if the deadline came first.
    package func waitForExit(until deadline: ClockInstant) async -> Termination? {
        let key = nextWaiter.wrappingAdd(1, ordering: .relaxed).oldValue
        return try? await exited.wait(
            for: key,
            deadline: deadline == .distantFuture ? nil : deadline,
            onDeadline: { .failure(CancellationError()) },
            immediate: { state.withLock { $0.exit }.map { .success($0) } }
        )
    }

    // MARK: Signals and stopping

    /// Sends `signal` to this child through its pidfd: never to a later process that reused
    /// its pid. False once the child has been reaped.
    @discardableResult
    package func signal(_ signal: Signal) -> Bool {
        state.withLock { state -> Bool in
            guard state.pidfd >= 0 else { return false }
            return titan_pidfd_send_signal(state.pidfd, signal.rawValue) == 0
        }
    }

    /// From now on an end of the calls' connection is expected (a stop is under way).
    package func stopRequested() {
        state.withLock { $0.stopRequested = true }
    }
}
