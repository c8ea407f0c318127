import Glibc
import Synchronization
import TitanCore
import TitanTransport
import TitanWire

/// The calling side of one connection: numbers calls, matches replies to waiting callers,
/// enforces deadlines and cancellation, and fails every waiting call at once when told the
/// connection is gone.
package final class CallClient: Sendable {
    package let connection: any FrameConnection
    private let calls: WaiterTable<Frame>
    private let welcome: WaiterTable<Welcome>
    private let nextID = Atomic<UInt64>(1)
    private let clock: any RuntimeClock
    private let system: ProcessActorSystem?
    /// The streams flowing over this connection; nil for a client that takes no streams.
    package let streams: StreamLink?
    /// Runs tasks that prefer it on the reader thread: a caller inside
    /// ``ProcessActorSystem/withAffinity(to:isolation:_:)`` continues there when its reply
    /// arrives, without waking another thread.
    package let executor = ReaderExecutor()
    /// Where cancellations go instead of this connection, when the owner has a path the
    /// callee reads even while its reader thread is busy (a child's control channel).
    private let cancelRoute = CancelRoute()

    /// Where a caller's cancellation goes, shared with the table's abandon hook.
    private final class CancelRoute: Sendable {
        let route = Mutex<(@Sendable (UInt64) -> Bool)?>(nil)
    }

    private init(connection: any FrameConnection, system: ProcessActorSystem?, clock: any RuntimeClock) {
        self.connection = connection
        self.clock = clock
        self.system = system
        // A caller that gives up (its deadline, its task cancelled) tells the callee to stop.
        calls = WaiterTable(clock: clock, onAbandon: { [connection, cancelRoute] id in
            if let route = cancelRoute.route.withLock({ $0 }), route(id) { return }
            try? connection.send(FrameBuilder.frame(.cancel, id: id, payload: EmptyCollection()))
        })
        welcome = WaiterTable(clock: clock)
        streams = system.map { StreamLink(system: $0, connection: connection) }
    }

    /// Connects to a child's listening socket as `introduction` describes: checks that the
    /// process at the other end is the child (SO_PEERCRED) before proving the secret in the
    /// hello; see ``connect(over:timeout:callerName:proof:system:clock:onClose:)``.
    ///
    /// Throws ``ProcessError/Code/connectionLost`` if the socket cannot be reached or another
    /// process holds it.
    package static func connect(
        to introduction: PeerIntroduction,
        path: String? = nil,
        maxFrameSize: Int,
        timeout: Duration,
        callerName: String,
        system: ProcessActorSystem? = nil,
        clock: any RuntimeClock = SystemClock.shared,
        onClose: @escaping @Sendable (CallClient, ConnectionCloseReason) -> Void
    ) async throws -> (CallClient, Welcome) {
        let path = path ?? introduction.socketPath
        let fd: Int32
        do {
            fd = try UnixSocket.connect(path: path)
        } catch {
            throw ProcessError.connectionLost("\(error)")
        }
        guard let peer = UnixSocket.peerCredentials(fd), peer.pid == introduction.pid else {
            close(fd)
            throw ProcessError.connectionLost("the socket at \(path) is not held by process \(introduction.pid)")
        }
        let connection = SocketConnection(fd: fd, maxFrameSize: maxFrameSize)
        return try await connect(
            over: connection, timeout: timeout, callerName: callerName, proof: introduction.secret.bytes,
            system: system, clock: clock, onClose: onClose
        )
    }

    /// Starts reading `connection` and exchanges hello/welcome within `timeout`, proving
    /// `proof` (the callee's secret; empty on the manager's private channel).
    /// `onClose` runs once on the reader thread when the connection ends; the owner then
    /// decides which error the waiting calls get (see ``failAll(_:)``).
    package static func connect(
        over connection: any FrameConnection,
        timeout: Duration,
        callerName: String,
        proof: [UInt8] = [],
        system: ProcessActorSystem? = nil,
        clock: any RuntimeClock = SystemClock.shared,
        onClose: @escaping @Sendable (CallClient, ConnectionCloseReason) -> Void
    ) async throws -> (CallClient, Welcome) {
        let client = CallClient(connection: connection, system: system, clock: clock)
        let executor = client.executor
        connection.start(name: "titan-client", onStart: {
            executor.bindToCurrentThread()
        }, handler: { [weak client] inbound in
            client?.handle(inbound)
            executor.runPending()
        }, onBatchEnd: nil, onClose: { [client] reason in
            client.welcome.close(with: ProcessError.connectionLost("\(reason) before welcome"))
            onClose(client, reason)
        })

        let hello = Hello(pid: getpid(), callerName: callerName, proof: proof)
        let welcome = try await client.welcome.wait(
            for: 0,
            deadline: clock.deadline(after: timeout),
            onDeadline: { .failure(ProcessError.timedOut(after: timeout)) },
            registered: {
                do {
                    try connection.send(FrameBuilder.frame(.hello, id: 0, payload: hello.payload))
                } catch {
                    client.welcome.close(with: ProcessError.connectionLost("could not send hello"))
                }
            }
        )
        guard welcome.protocolVersion == FrameHeader.protocolVersion else {
            connection.close()
            throw ProcessError.protocolViolation("peer speaks protocol \(welcome.protocolVersion), we speak \(FrameHeader.protocolVersion)")
        }
        return (client, welcome)
    }

    /// Thrown instead of the connection's error, when the caller asked for it, by a call that
    /// was never sent because the connection was already gone: it can safely go elsewhere.
    package struct NotSent: Error {
        package var error: any Error
    }

    /// Sends `call` and waits for its reply.
    ///
    /// Throws the callee's error (rebuilt from the `failure` frame), `CancellationError` if the
    /// task is cancelled, ``/TitanCore/ProcessError/Code/timedOut`` at the call's deadline,
    /// ``/TitanCore/ProcessError/Code/messageTooLarge`` before sending an oversized frame, and the
    /// owner's error (see ``failAll(_:)``) if the connection ends. A caller that gives up
    /// tells the callee to cancel. With `reportNotSent`, a call that never left throws
    /// ``NotSent`` instead.
    package func call(_ call: OutgoingCall, reportNotSent: Bool = false) async throws -> CallReply {
        // The time is read only for a call that has a deadline to measure.
        var frame = call.frame(at: call.deadline == nil ? ClockInstant(nanoseconds: 0) : clock.now)
        guard frame.payloadCount <= connection.maxFrameSize else {
            throw ProcessError.messageTooLarge(size: frame.payloadCount, limit: connection.maxFrameSize)
        }
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let bytes = frame.finish(id: id)
        let timeout = call.timeout
        var timedOut: (@Sendable () -> Result<any Sendable, any Error>)?
        if call.deadline != nil {
            timedOut = { .failure(ProcessError.timedOut(after: timeout ?? .zero)) }
        }
        var sent = false
        let reply: Frame
        do {
            reply = try await calls.wait(
                for: id,
                deadline: call.deadline,
                onDeadline: timedOut,
                registered: {
                    sent = true
                    // A failed send leaves the call waiting: the connection is closing, and the
                    // owner fails every waiting call with the error that explains why. A caller
                    // that can send it elsewhere is told at once instead.
                    do {
                        try connection.send(bytes)
                    } catch {
                        guard reportNotSent else { return }
                        let failure = calls.closedError ?? ProcessError.connectionLost("the connection closed before the call was sent")
                        calls.resume(id, with: .failure(NotSent(error: failure)))
                    }
                }
            )
        } catch let error where reportNotSent && !sent && !(error is CancellationError) {
            throw NotSent(error: error)
        }
        guard reply.kind == .reply else {
            var reader = reply.reader
            throw RemoteFailure.read(from: &reader, decoder: system?.makeDecoder() ?? WireDecoder())
        }
        return CallReply(payload: reply.payload, channel: streams)
    }

    /// Sends `frame` (complete but for its id) and returns the frame that answers it, reply or
    /// failure, within `timeout`: for tests that build frames by hand.
    package func exchange(_ frame: FrameBuilder, timeout: Duration) async throws -> Frame {
        var frame = frame
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let bytes = frame.finish(id: id)
        return try await calls.wait(
            for: id,
            deadline: clock.deadline(after: timeout),
            onDeadline: { .failure(ProcessError.timedOut(after: timeout)) },
            registered: { try? connection.send(bytes) }
        )
    }

    /// Sends cancellations through `route` from now on (it returns false when it could not,
    /// and the cancellation goes on this connection).
    package func routeCancellations(_ route: @escaping @Sendable (UInt64) -> Bool) {
        cancelRoute.route.withLock { $0 = route }
    }

    /// Fails every waiting call, and every later one, with `error`, and closes the connection.
    package func failAll(_ error: ProcessError) {
        calls.close(with: error)
        connection.close()
        streams?.close(error)
    }

    /// Calls in flight on this connection.
    package var inFlight: Int { calls.count }

    private func handle(_ inbound: FrameInbound) {
        switch inbound {
        case .frame(let frame):
            switch frame.kind {
            case .reply, .failure:
                // Replies to calls that were cancelled or timed out find nothing and are dropped.
                calls.resume(frame.id, with: .success(frame))
            case .welcome:
                do {
                    welcome.resume(0, with: .success(try Welcome(payload: frame.payload)))
                } catch {
                    welcome.resume(0, with: .failure(ProcessError.protocolViolation("malformed welcome: \(error)")))
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
                calls.resume(header.id, with: .failure(ProcessError.messageTooLarge(size: Int(header.length), limit: connection.maxFrameSize)))
            case .streamElements, .streamEnd, .streamCredit, .streamCancel:
                routeStream(inbound)
            default:
                connection.close(reason: .protocolViolation("oversized \(header.kind) frame"))
            }
        }
    }

    private func routeStream(_ inbound: FrameInbound) {
        guard let streams else {
            connection.close(reason: .protocolViolation("stream frame on a connection without streams"))
            return
        }
        streams.handle(inbound)
    }
}
