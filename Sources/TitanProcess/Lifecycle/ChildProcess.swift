import CTitan
import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

/// One running incarnation of a child: launched, ready, connected, watched until it exits.
///
/// The whole start lives here, in order: two socketpairs (the control socket, descriptor 3 in
/// the child, and the control channel, descriptor 4) and pipes for the output, the launch
/// (`titan_spawn`, which leaves the child no other descriptor of this process), the output's
/// and the channel's reading on the ``PollLoop``, a pidfd, the exit watch, the
/// ``ChildBootstrap`` (a fresh secret, the listening socket's name, the configuration) written
/// on the control socket, the child's one readiness report, then the calls' connection over
/// that same socketpair and its hello/welcome. The manager's calls involve no socket name: only
/// this process holds the other end, which is the proof the child asks of its manager. Stop,
/// health, heartbeat and cancellation go on the control channel, which only the manager holds
/// as well. A start that fails at any step
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
        var welcome: Welcome?
        var stopRequested = false
        /// Why the parent killed the child on its own account, if it did.
        var killReason: String?
        var controlFD: Int32
        var pidfd: Int32
    }

    /// The child's OS process id.
    package let pid: Int32
    /// What a caller on the child's listening socket must prove: handed to the child over
    /// the socketpair and to no one the manager does not introduce. New for each incarnation.
    package let secret: PeerSecret
    /// Where the child listens for callers the manager introduces: an abstract socket name,
    /// new for each incarnation (its random part keeps any other process from taking the name
    /// before the child binds it); nil when it does not listen.
    package let listenAddress: String?
    /// The managed process this child is an incarnation of.
    package let id: ProcessID
    private let state: Mutex<State>
    private let exited: WaiterTable<Termination>
    private let clock: any RuntimeClock
    private let onExit: @Sendable (ChildExit) -> Void
    /// The child's output: its standard error's tail says why the child ended.
    private let output: ChildOutputReader
    /// The control channel: stop, health, heartbeat and cancellation, on a path the child
    /// reads even while its service keeps every other thread busy.
    private let link: ControlLink
    private let nextWaiter = Atomic<UInt64>(0)

    private init(
        id: ProcessID, pid: Int32, pidfd: Int32, controlFD: Int32, link: ControlLink, output: ChildOutputReader, listenAddress: String?,
        clock: any RuntimeClock, onExit: @escaping @Sendable (ChildExit) -> Void
    ) {
        self.id = id
        secret = .generate()
        self.listenAddress = listenAddress
        self.link = link
        self.output = output
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

    /// What the child said about itself when it connected (its service's name and version).
    package var welcome: Welcome? { state.withLock { $0.welcome } }

    /// How the child ended, once it has been reaped.
    package var termination: Termination? { state.withLock { $0.exit } }

    /// Starts a child from `spec` and returns once it takes calls, within `timeout`.
    ///
    /// `onExit` runs once, on the exit watcher's thread, after the child has been reaped —
    /// also when the start fails after the launch — with how it ended, the summary of its
    /// last output on standard error (a trap's message), and why the parent killed it, if so.
    /// The calls' connection reports to `system`'s streams; `onUnreachable` runs when that
    /// connection ends without a stop being requested (the child is then killed and `onExit`
    /// follows).
    ///
    /// The child's standard error is always read (for the crash's message); `output` makes,
    /// given the child's pid, the handler of the streams `spec` captures. Standard error that
    /// no handler takes is forwarded to this process's standard error.
    package static func start(
        _ spec: ChildSpec,
        timeout: Duration,
        system: ProcessActorSystem,
        output: (@Sendable (Int32) -> any ChildOutputHandler)? = nil,
        onExit: @escaping @Sendable (ChildExit) -> Void,
        onUnreachable: @escaping @Sendable (ConnectionCloseReason) -> Void = { _ in },
        onLaunch: @Sendable (ChildProcess) -> Void = { _ in }
    ) async throws -> ChildProcess {
        let clock = system.clock
        let deadline = clock.deadline(after: timeout)
        let (parentEnd, childEnd): (Int32, Int32)
        let (linkEnd, channelEnd): (Int32, Int32)
        do {
            (parentEnd, childEnd) = try UnixSocket.pair()
        } catch {
            throw ProcessError.startFailed("cannot create the control socket: \(error)", cause: error)
        }
        do {
            (linkEnd, channelEnd) = try UnixSocket.pair()
        } catch {
            for fd in [parentEnd, childEnd] { close(fd) }
            throw ProcessError.startFailed("cannot create the control channel: \(error)", cause: error)
        }
        let handled = output == nil ? [] : spec.captured
        let pipes: ChildOutputPipes
        do {
            pipes = try ChildOutputPipes.make(handled.contains(.stderr) ? handled : handled + [.stderr])
        } catch {
            for fd in [parentEnd, childEnd, linkEnd, channelEnd] { close(fd) }
            throw error
        }
        let request = LaunchRequest(
            executable: spec.executable,
            arguments: spec.arguments,
            environment: spec.environment,
            workingDirectory: spec.workingDirectory,
            descriptors: [
                (parentFD: childEnd, childFD: ChildEnvironment.controlFD),
                (parentFD: channelEnd, childFD: ChildEnvironment.controlChannelFD),
            ] + pipes.childEnds,
            image: spec.image,
            limits: spec.limits
        )
        let pid: Int32
        do {
            pid = try await ChildLauncher.shared.launch(request)
        } catch let failure as SpawnFailure {
            for fd in [parentEnd, childEnd, linkEnd, channelEnd] { close(fd) }
            pipes.closeAll()
            let code: ProcessError.Code = failure.errno == ENOENT || failure.errno == EACCES ? .executableNotFound : .startFailed
            throw ProcessError(code, "process failed to start: \(failure)", cause: failure)
        }
        for fd in [childEnd, channelEnd] { close(fd) }
        pipes.closeChildEnds()
        let reader = ChildOutputReader.start(pipes, handler: handled.isEmpty ? nil : output?(pid), handled: handled)
        let link = ControlLink(fd: linkEnd, process: spec.child.processID, clock: clock)
        link.start()
        // Until the exit watcher reaps it, the pid stays ours: the pidfd names exactly this child.
        let pidfd = titan_pidfd_open(pid)
        let child = ChildProcess(
            id: spec.child.processID, pid: pid, pidfd: pidfd, controlFD: parentEnd, link: link, output: reader,
            listenAddress: spec.listenPrefix.map { Self.listenAddress(prefix: $0, process: spec.child.processID) },
            clock: clock, onExit: onExit
        )
        do {
            // Nothing the child started outlives it (systemd's KillMode=mixed: the child gets the
            // graceful stop, what is left of its process group SIGKILL when it has exited).
            try ExitWatcher.shared.watch(pid: pid, endingItsGroup: true) { [child] status in child.reaped(status) }
        } catch {
            // Unwatched, the child is never reaped, so its pid cannot have been reused yet;
            // still, signal the pidfd, never a pid.
            child.signal(.kill)
            throw ProcessError.startFailed("cannot watch child \(pid): \(error)", cause: error)
        }
        // The child runs (and may reach its manager's mesh endpoint from its configure) before
        // it is ready.
        onLaunch(child)
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

    /// `prefix/<process id>-<64 random bits>`, or `prefix/<64 random bits>` where the process id
    /// would make it too long for a socket address.
    private static func listenAddress(prefix: String, process: ProcessID) -> String {
        var random = SystemRandomNumberGenerator()
        let nonce = String(random.next(), radix: 16)
        let named = "\(prefix)/\(process)-\(nonce)"
        return named.utf8.count <= UnixSocket.maxPathLength ? named : "\(prefix)/\(nonce)"
    }

    /// The bootstrap out, the readiness report in, then the calls' connection on the same socket.
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
        var handedOver = false
        defer { if !handedOver { close(control) } }
        let bootstrap = ChildBootstrap(
            secret: secret,
            listenAddress: listenAddress,
            limits: spec.servingLimits,
            configuration: spec.configuration,
            meshAddress: spec.meshAddress
        )
        guard UnixSocket.writeMessage(control, bootstrap.bytes) else {
            throw await exitedDuringStart("the child closed its control socket before reading its configuration")
        }
        switch await Self.awaitReadiness(fd: control, timeout: clock.remaining(until: deadline), maxSize: spec.child.maxFrameSize) {
        case .ready(let image):
            // The child runs the file it was started from; a different build (the file was
            // rewritten in place since the image was opened) must not take calls.
            if let expected = spec.image?.identity, image != expected.description {
                throw ProcessError.imageMismatch(expected: "\(spec.executable) (\(expected))", reported: image)
            }
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
        // The copy becomes the connection's descriptor; the original stays with the exit path.
        handedOver = true
        let (client, welcome) = try await CallClient.connect(
            over: SocketConnection(fd: control, maxFrameSize: spec.child.maxFrameSize),
            timeout: clock.remaining(until: deadline),
            callerName: "manager",
            system: system,
            clock: clock
        ) { [weak self] _, reason in
            self?.connectionEnded(reason, onUnreachable: onUnreachable)
        }
        client.routeCancellations { [link] id in link.post(.cancel(callID: id)) }
        let alive = state.withLock { state -> Bool in
            guard state.exit == nil else { return false }
            state.client = client
            state.welcome = welcome
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
        case ready(image: String)
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
                case .ready(let image): continuation.resume(returning: .ready(image: image))
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
        let (client, controlFD, pidfd, reason) = state.withLock { state -> (CallClient?, Int32, Int32, String?) in
            state.exit = status
            defer {
                state.controlFD = -1
                state.pidfd = -1
            }
            return (state.client, state.controlFD, state.pidfd, state.killReason)
        }
        if controlFD >= 0 { close(controlFD) }
        if pidfd >= 0 { close(pidfd) }
        link.finish()
        // The child is gone: everything it wrote is in the pipe now.
        output.drain()
        let exit = ChildExit(termination: status, lastOutput: output.lastOutput, reason: reason)
        onExit(exit)
        var error = ProcessError.processExited(id, status, lastOutput: exit.lastOutput)
        if let reason { error.message += " (\(reason))" }
        client?.failAll(error)
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
    /// its pid. False once the child has been reaped. `reason`, for a signal the parent sends
    /// on its own account (a limit crossed), travels with the exit.
    @discardableResult
    package func signal(_ signal: Signal, reason: String? = nil) -> Bool {
        state.withLock { state -> Bool in
            guard state.pidfd >= 0 else { return false }
            if let reason, state.killReason == nil { state.killReason = reason }
            return titan_pidfd_send_signal(state.pidfd, signal.rawValue) == 0
        }
    }

    /// From now on an end of the calls' connection is expected (a stop is under way).
    package func stopRequested() {
        state.withLock { $0.stopRequested = true }
    }

    // MARK: Control channel

    /// Sends `request` on the control channel and returns the reply's payload within `timeout`
    /// (see ``ControlLink/request(_:timeout:clock:)``).
    package func control(_ request: ControlRequest, timeout: Duration) async throws -> [UInt8] {
        try await link.request(request, timeout: timeout, clock: clock)
    }

    /// Asks the child to stop gracefully and to exit by `timeout` at the latest; false if the
    /// request could not be sent.
    @discardableResult
    package func requestShutdown(timeout: Duration) -> Bool {
        link.post(.shutdown(timeout: timeout))
    }
}
