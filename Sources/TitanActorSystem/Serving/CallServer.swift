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
package final class CallServer: Sendable {
    private enum Running {
        case starting
        case task(Task<Void, Never>)
    }

    private struct State {
        var greeted = false
        var running: [UInt64: Running] = [:]
    }

    package let connection: any FrameConnection
    private let system: ProcessActorSystem
    private let state = Mutex(State())
    private let executor = ReaderExecutor()
    /// The streams flowing over this connection.
    package let streams: StreamLink

    package init(connection: any FrameConnection, system: ProcessActorSystem) {
        self.system = system
        self.connection = connection
        streams = StreamLink(system: system, connection: connection)
    }

    /// Starts serving; `onClose` runs once when the connection ends.
    package func start(onClose: @escaping @Sendable (CallServer) -> Void) {
        connection.start(name: "titan-serve", onStart: { [executor] in
            executor.bindToCurrentThread()
        }, handler: { [self] inbound in
            handle(inbound)
            executor.runPending()
        }, onBatchEnd: { [self] in
            connection.flush()
        }, onClose: { [self] _ in
            let tasks = state.withLock { state -> [Task<Void, Never>] in
                defer { state.running.removeAll() }
                return state.running.values.compactMap { if case .task(let task) = $0 { task } else { nil } }
            }
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
                cancelCall(frame.id)
            case .control:
                startControl(frame)
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
        guard let hello = try? Hello(payload: frame.payload) else {
            reject("malformed hello")
            return
        }
        guard hello.protocolVersion == FrameHeader.protocolVersion else {
            reject("unsupported protocol version \(hello.protocolVersion) (this process speaks \(FrameHeader.protocolVersion))")
            return
        }
        let already = state.withLock { state -> Bool in
            defer { state.greeted = true }
            return state.greeted
        }
        guard !already else {
            reject("second hello")
            return
        }
        try? connection.send(FrameBuilder.frame(.welcome, id: 0, payload: system.welcome.payload))
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

    /// Cancels the task of call `id`, if it is running.
    package func cancelCall(_ id: UInt64) {
        let running = state.withLock { $0.running[id] }
        if case .task(let task) = running { task.cancel() }
    }

    private func startControl(_ frame: Frame) {
        let id = frame.id
        track(id) {
            Task.immediate(executorPreference: executor) { [self] in
                let outcome = await system.handleControl(frame.payload)
                finish(id, outcome)
            }
        }
    }

    /// Records the task for `id` so a `cancel` frame can reach it; a task that finished
    /// before `start` returned leaves no entry behind.
    private func track(_ id: UInt64, _ start: () -> Task<Void, Never>) {
        state.withLock { $0.running[id] = .starting }
        let task = start()
        state.withLock { state in
            if state.running[id] != nil { state.running[id] = .task(task) }
        }
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
