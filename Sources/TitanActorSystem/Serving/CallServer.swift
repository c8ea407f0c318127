import Distributed
import Glibc
import Synchronization
import TitanCore
import TitanTransport
import TitanWire

/// The accepting side of one connection: checks the handshake, runs each incoming call
/// against the local actor it names, answers with a reply or failure frame, and cancels the
/// call's task when the caller gives up.
///
/// Calls start in arrival order, on the reader thread: each runs through the connection's
/// ``ReaderExecutor`` until it finishes or suspends before the next frame is looked at, so the
/// actor receives them in the order the caller sent them. Replies produced on the reader
/// thread are queued and written together when the batch of frames from one read is done.
///
/// Nothing but a hello is looked at before the handshake; on a connection that needs a proof
/// (``CallerAuthentication/secret(_:handshakeTimeout:)``) the hello must carry the secret and
/// arrive before the handshake deadline, or the connection is closed.
package final class CallServer: Sendable {
    private enum Running {
        case starting
        case task(Task<Void, Never>)
    }

    private struct State {
        var greeted = false
        var running: [UInt64: Running] = [:]
        var handshakeTimer: TimerToken?
        /// The highest call id started so far (a caller numbers its calls upwards).
        var highestStarted: UInt64 = 0
        /// Calls cancelled from the control channel before this connection started them.
        var cancelledEarly: Set<UInt64> = []
    }

    /// At most this many early cancellations are remembered.
    private static let maxCancelledEarly = 4096

    package let connection: any FrameConnection
    private let system: ProcessActorSystem
    private let authentication: CallerAuthentication
    private let state = Mutex(State())
    private let executor = ReaderExecutor()
    /// The streams flowing over this connection.
    package let streams: StreamLink

    package init(connection: any FrameConnection, system: ProcessActorSystem, authentication: CallerAuthentication = .channel) {
        self.system = system
        self.connection = connection
        self.authentication = authentication
        streams = StreamLink(system: system, connection: connection)
    }

    /// Starts serving; `onClose` runs once when the connection ends.
    package func start(onClose: @escaping @Sendable (CallServer) -> Void) {
        if case .secret(_, let timeout) = authentication {
            let clock = system.clock
            // Holds the server until the hello or the end of the connection cancels it (both
            // always come), or until it fires.
            let token = clock.schedule(at: clock.deadline(after: timeout)) { [self] in
                handshakeDeadlinePassed(timeout)
            }
            state.withLock { $0.handshakeTimer = token }
        }
        connection.start(name: "titan-serve", onStart: { [executor] in
            executor.bindToCurrentThread()
        }, handler: { [self] inbound in
            handle(inbound)
            executor.runPending()
        }, onBatchEnd: { [self] in
            connection.flush()
        }, onClose: { [self] _ in
            let (tasks, timer) = state.withLock { state -> ([Task<Void, Never>], TimerToken?) in
                defer {
                    state.running.removeAll()
                    state.handshakeTimer = nil
                }
                return (state.running.values.compactMap { if case .task(let task) = $0 { task } else { nil } }, state.handshakeTimer)
            }
            if let timer { system.clock.cancel(timer) }
            // Nobody is left to receive the results: stop the work.
            for task in tasks { task.cancel() }
            streams.close(ProcessError.connectionLost("the caller disconnected"))
            onClose(self)
        })
    }

    private func handle(_ inbound: FrameInbound) {
        switch inbound {
        case .oversized(let header):
            guard state.withLock({ $0.greeted }) else {
                connection.close(reason: .protocolViolation("oversized first frame"))
                return
            }
            if header.kind == .call || header.kind == .control {
                let error = ProcessError.messageTooLarge(size: Int(header.length), limit: connection.maxFrameSize)
                sendFailure(error, id: header.id)
            } else {
                streams.handle(inbound)
            }
        case .frame(let frame):
            let greeted = state.withLock { $0.greeted }
            guard greeted || frame.kind == .hello else {
                reject("expected hello, got \(frame.kind)")
                return
            }
            switch frame.kind {
            case .hello:
                greet(frame)
            case .call:
                startCall(frame)
            case .cancel:
                cancelRunning(frame.id)
            case .control:
                // Control requests travel only on the control channel, which only the manager
                // holds; on a calls' connection they are refused, the manager's included.
                sendFailure(ProcessError.unsupported("control requests are taken only from the manager, on the control channel"), id: frame.id)
            case .streamElements, .streamEnd, .streamCredit, .streamCancel:
                streams.handle(inbound)
            case .protocolError:
                connection.close(reason: .protocolViolation("peer reported a protocol error"))
            case .welcome, .reply, .failure:
                reject("unexpected \(frame.kind) frame from a caller")
            }
        }
    }

    private func reject(_ why: String) {
        var builder = FrameBuilder(kind: .protocolError)
        builder.writer.writeString(why)
        try? connection.send(builder.finish(id: 0))
        connection.close(reason: .protocolViolation(why))
    }

    private func greet(_ frame: Frame) {
        if let version = Hello.version(of: frame.payload), version != FrameHeader.protocolVersion {
            reject("unsupported protocol version \(version) (this process speaks \(FrameHeader.protocolVersion))")
            return
        }
        guard let hello = try? Hello(payload: frame.payload) else {
            reject("malformed hello")
            return
        }
        if case .secret(let secret, _) = authentication, !secret.isProven(by: hello.proof) {
            reject("authentication failed: the hello does not carry this process's secret")
            return
        }
        let (already, timer) = state.withLock { state -> (Bool, TimerToken?) in
            defer {
                state.greeted = true
                state.handshakeTimer = nil
            }
            return (state.greeted, state.handshakeTimer)
        }
        guard !already else {
            reject("second hello")
            return
        }
        if let timer { system.clock.cancel(timer) }
        connection.handshakeCompleted()
        try? connection.send(FrameBuilder.frame(.welcome, id: 0, payload: system.welcome.payload))
    }

    /// A peer that has not said hello by now is holding a connection it may not use.
    private func handshakeDeadlinePassed(_ timeout: Duration) {
        let greeted = state.withLock { state -> Bool in
            state.handshakeTimer = nil
            return state.greeted
        }
        guard !greeted else { return }
        reject("no hello within \(timeout)")
    }

    /// Cancels call `id` on behalf of the control channel, which a reader thread busy with
    /// a call does not hold up — and which can overtake the call's own frame: a call this
    /// connection has not started yet is cancelled as it starts.
    package func cancel(_ id: UInt64) {
        let running = state.withLock { state -> Running? in
            let running = state.running[id]
            let notYet = running == nil && id > state.highestStarted
            if case .starting? = running {
                state.cancelledEarly.insert(id)
            } else if notYet, state.cancelledEarly.count < Self.maxCancelledEarly {
                state.cancelledEarly.insert(id)
            }
            return running
        }
        if case .task(let task) = running { task.cancel() }
    }

    /// Cancels the task of call `id`, if it is running (a `cancel` frame, which follows its
    /// call on the same connection, or a policy such as `@Timeout` in the serving process).
    package func cancelRunning(_ id: UInt64) {
        let running = state.withLock { $0.running[id] }
        if case .task(let task) = running { task.cancel() }
    }

    private func startCall(_ frame: Frame) {
        let id = frame.id
        guard system.admitCall() else {
            sendFailure(ProcessError.shuttingDown, id: id)
            return
        }
        let envelope: CallEnvelope
        do {
            envelope = try CallEnvelope(payload: frame.payload)
        } catch {
            system.callFinished()
            sendFailure(ProcessError.invalidArguments("malformed call: \(error)"), id: id)
            return
        }
        track(id) {
            Task.immediate(executorPreference: executor) { [self] in
                let outcome = await system.execute(envelope, channel: streams, origin: (self, id))
                finish(id, outcome)
                system.callFinished()
            }
        }
    }

    /// Records the task for `id` so a `cancel` frame can reach it; a task that finished
    /// before `start` returned leaves no entry behind.
    private func track(_ id: UInt64, _ start: () -> Task<Void, Never>) {
        state.withLock { state in
            state.running[id] = .starting
            state.highestStarted = max(state.highestStarted, id)
        }
        let task = start()
        let cancelled = state.withLock { state -> Bool in
            if state.running[id] != nil { state.running[id] = .task(task) }
            return state.cancelledEarly.remove(id) != nil
        }
        if cancelled { task.cancel() }
    }

    private func finish(_ id: UInt64, _ outcome: Result<CallReply, any Error>) {
        state.withLock { _ = $0.running.removeValue(forKey: id) }
        switch outcome {
        case .success(let reply):
            var frame = reply.frame
            guard frame.payloadCount <= connection.maxFrameSize else {
                sendFailure(ProcessError.messageTooLarge(size: frame.payloadCount, limit: connection.maxFrameSize), id: id)
                return
            }
            write(frame.finish(id: id))
        case .failure(let error):
            sendFailure(error, id: id)
        }
    }

    private func sendFailure(_ error: any Error, id: UInt64) {
        var frame = FrameBuilder(kind: .failure)
        RemoteFailure.write(error, into: &frame.writer, encoder: system.makeEncoder())
        write(frame.finish(id: id))
    }

    /// On the reader thread the frame waits for the end of the batch; elsewhere it goes now.
    private func write(_ bytes: [UInt8]) {
        if executor.isOnReaderThread {
            try? connection.enqueue(bytes)
        } else {
            try? connection.send(bytes)
        }
    }
}
