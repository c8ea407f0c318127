import Glibc
import Synchronization

/// What the accepting side says about itself in its `welcome` frame.
package struct Welcome: Sendable, Equatable {
    package var protocolVersion: UInt16
    package var pid: Int32
    package var process: ProcessID
    package var service: String
    package var serviceVersion: String

    package init(protocolVersion: UInt16 = FrameHeader.protocolVersion, pid: Int32, process: ProcessID, service: String, serviceVersion: String) {
        self.protocolVersion = protocolVersion
        self.pid = pid
        self.process = process
        self.service = service
        self.serviceVersion = serviceVersion
    }

    package var payload: [UInt8] {
        var writer = ByteWriter()
        writer.writeInteger(protocolVersion)
        writer.writeInteger(pid)
        writer.writeString(process.rawValue)
        writer.writeString(service)
        writer.writeString(serviceVersion)
        return writer.bytes
    }

    package init(payload: [UInt8]) throws(WireError) {
        var reader = ByteReader(payload)
        protocolVersion = try reader.readInteger()
        pid = try reader.readInteger()
        process = ProcessID(try reader.readString())
        service = try reader.readString()
        serviceVersion = try reader.readString()
    }
}

/// The calling side of one connection: numbers calls, matches replies to waiting callers,
/// enforces timeouts and cancellation, and fails every waiting call at once when told the
/// connection is gone.
package final class CallClient: Sendable {
    private struct Pending {
        var continuation: UnsafeContinuation<Frame, any Error>
        var timer: UInt64?
    }

    private struct State {
        var nextID: UInt64 = 1
        var pending: [UInt64: Pending] = [:]
        /// Set once the connection is gone; later calls fail with it at once.
        var failure: ProcessError?
        var welcome: UnsafeContinuation<Welcome, any Error>?
    }

    package let connection: Connection
    private let state = Mutex(State())
    /// The streams flowing over this connection; nil for a client that takes no streams.
    package let streams: StreamLink?
    /// Runs tasks that prefer it on the reader thread: a caller inside
    /// ``ProcessActorSystem/withAffinity(to:isolation:_:)`` continues there when its reply
    /// arrives, without waking another thread.
    let executor = ReaderExecutor()

    private init(connection: Connection, system: ProcessActorSystem?) {
        self.connection = connection
        streams = system.map { StreamLink(system: $0, connection: connection) }
    }

    /// Connects to `path`, exchanges hello/welcome within `timeout`, and starts reading.
    /// `onClose` runs once on the reader thread when the connection ends; the owner then
    /// decides which error the waiting calls get (see ``failAll(_:)``).
    package static func connect(
        path: String,
        maxFrameSize: Int,
        timeout: Duration,
        callerName: String,
        system: ProcessActorSystem? = nil,
        onClose: @escaping @Sendable (CallClient, Connection.CloseReason) -> Void
    ) async throws -> (CallClient, Welcome) {
        let fd: Int32
        do {
            fd = try UnixSocket.connect(path: path)
        } catch {
            throw ProcessError.connectionLost("\(error)")
        }
        let client = CallClient(connection: Connection(fd: fd, maxFrameSize: maxFrameSize), system: system)
        let executor = client.executor
        client.connection.start(name: "titan-client", onStart: {
            executor.bindToCurrentThread()
        }, handler: { [weak client] inbound in
            client?.handle(inbound)
            executor.runPending()
        }, onClose: { [client] reason in
            client.welcomeFailed(ProcessError.connectionLost("\(reason) before welcome"))
            onClose(client, reason)
        })

        var hello = ByteWriter()
        hello.writeInteger(FrameHeader.protocolVersion)
        hello.writeInteger(getpid())
        hello.writeString(callerName)
        let welcome: Welcome = try await withUnsafeThrowingContinuation { continuation in
            client.state.withLock { $0.welcome = continuation }
            let timer = DeadlineTimer.shared.schedule(at: DeadlineTimer.deadline(after: timeout)) { [weak client] in
                client?.welcomeFailed(ProcessError.timedOut(after: timeout))
            }
            do {
                try client.connection.send(FrameBuilder.frame(.hello, id: 0, payload: hello.bytes))
            } catch {
                DeadlineTimer.shared.cancel(timer)
                client.welcomeFailed(ProcessError.connectionLost("could not send hello"))
            }
        }
        guard welcome.protocolVersion == FrameHeader.protocolVersion else {
            client.connection.close()
            throw ProcessError.protocolViolation("peer speaks protocol \(welcome.protocolVersion), we speak \(FrameHeader.protocolVersion)")
        }
        return (client, welcome)
    }

    private func welcomeFailed(_ error: ProcessError) {
        let waiter = state.withLock { state -> UnsafeContinuation<Welcome, any Error>? in
            defer { state.welcome = nil }
            return state.welcome
        }
        waiter?.resume(throwing: error)
    }

    /// Sends `frame` as a new call and waits for its `reply` or `failure` frame.
    ///
    /// Throws `CancellationError` if the task is cancelled, ``ProcessError/timedOut(after:)``
    /// after `timeout`, ``ProcessError/messageTooLarge(size:limit:)`` before sending an
    /// oversized frame, and the owner's error (see ``failAll(_:)``) if the connection ends.
    /// `reportedTimeout` is the timeout named in that error when `timeout` is what remained
    /// of a longer one.
    /// Thrown instead of the connection's error, when the caller asked for it, by a call that
    /// was never sent because the connection was already gone: it can safely go elsewhere.
    package struct NotSent: Error {
        package var error: any Error
    }

    package func call(_ frame: FrameBuilder, timeout: Duration?, reportedTimeout: Duration? = nil, reportNotSent: Bool = false) async throws -> Frame {
        guard frame.payloadCount <= connection.maxFrameSize else {
            throw ProcessError.messageTooLarge(size: frame.payloadCount, limit: connection.maxFrameSize)
        }
        let id = state.withLock { state -> UInt64 in
            defer { state.nextID &+= 1 }
            return state.nextID
        }
        var frame = frame
        let bytes = frame.finish(id: id)
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Frame, any Error>) in
                let early = state.withLock { state -> (any Error)? in
                    if let failure = state.failure { return reportNotSent ? NotSent(error: failure) : failure }
                    if Task.isCancelled { return CancellationError() }
                    state.pending[id] = Pending(continuation: continuation, timer: nil)
                    return nil
                }
                if let early {
                    continuation.resume(throwing: early)
                    return
                }
                if let timeout {
                    let timer = DeadlineTimer.shared.schedule(at: DeadlineTimer.deadline(after: timeout)) { [weak self] in
                        self?.abandon(id, with: ProcessError.timedOut(after: reportedTimeout ?? timeout))
                    }
                    let stillPending = state.withLock { state -> Bool in
                        guard state.pending[id] != nil else { return false }
                        state.pending[id]!.timer = timer
                        return true
                    }
                    if !stillPending { DeadlineTimer.shared.cancel(timer) }
                }
                // A failed send leaves the call pending: the connection is closing, and the
                // owner fails every pending call with the error that explains why. A caller
                // that can send it elsewhere is told at once instead.
                do {
                    try connection.send(bytes)
                } catch {
                    guard reportNotSent, let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
                    if let timer = pending.timer { DeadlineTimer.shared.cancel(timer) }
                    let failure = state.withLock { $0.failure } ?? ProcessError.connectionLost("the connection closed before the call was sent")
                    pending.continuation.resume(throwing: NotSent(error: failure))
                }
            }
        } onCancel: {
            abandon(id, with: CancellationError())
        }
    }

    /// Gives up on call `id`: the caller gets `error`, the callee is told to cancel.
    private func abandon(_ id: UInt64, with error: any Error) {
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
        if let timer = pending.timer { DeadlineTimer.shared.cancel(timer) }
        pending.continuation.resume(throwing: error)
        try? connection.send(FrameBuilder.frame(.cancel, id: id, payload: EmptyCollection()))
    }

    /// Fails every waiting call, and every later one, with `error`, and closes the connection.
    package func failAll(_ error: ProcessError) {
        let pending = state.withLock { state -> [Pending] in
            if state.failure == nil { state.failure = error }
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        connection.close()
        streams?.close(error)
        for entry in pending {
            if let timer = entry.timer { DeadlineTimer.shared.cancel(timer) }
            entry.continuation.resume(throwing: error)
        }
    }

    /// Calls in flight on this connection.
    package var inFlight: Int { state.withLock { $0.pending.count } }

    private func handle(_ inbound: Connection.Inbound) {
        switch inbound {
        case .frame(let frame):
            switch frame.kind {
            case .reply, .failure:
                var frame = frame
                frame.streams = streams
                complete(frame.id, with: .success(frame))
            case .welcome:
                let waiter = state.withLock { state -> UnsafeContinuation<Welcome, any Error>? in
                    defer { state.welcome = nil }
                    return state.welcome
                }
                do {
                    waiter?.resume(returning: try Welcome(payload: frame.payload))
                } catch {
                    waiter?.resume(throwing: ProcessError.protocolViolation("malformed welcome: \(error)"))
                }
            case .protocolError:
                var reader = frame.reader
                let why = (try? reader.readString()) ?? "unreadable reason"
                connection.close(reason: .protocolViolation("peer reported: \(why)"))
            case .streamElements, .streamEnd, .streamCredit, .streamCancel:
                routeStream(inbound)
            case .hello, .call, .cancel, .control:
                connection.close(reason: .protocolViolation("unexpected \(frame.kind) frame from the callee"))
            }
        case .oversized(let header):
            switch header.kind {
            case .reply, .failure:
                complete(header.id, with: .failure(ProcessError.messageTooLarge(size: Int(header.length), limit: connection.maxFrameSize)))
            case .streamElements, .streamEnd, .streamCredit, .streamCancel:
                routeStream(inbound)
            default:
                connection.close(reason: .protocolViolation("oversized \(header.kind) frame"))
            }
        }
    }

    private func routeStream(_ inbound: Connection.Inbound) {
        guard let streams else {
            connection.close(reason: .protocolViolation("stream frame on a connection without streams"))
            return
        }
        streams.handle(inbound)
    }

    private func complete(_ id: UInt64, with result: Result<Frame, any Error>) {
        // Replies to calls that were cancelled or timed out find nothing and are dropped.
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
        if let timer = pending.timer { DeadlineTimer.shared.cancel(timer) }
        pending.continuation.resume(with: result)
    }
}
