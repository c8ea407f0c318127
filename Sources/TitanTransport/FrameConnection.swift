import TitanCore
import TitanWire

/// What a connection delivers to its handler.
package enum FrameInbound: Sendable {
    case frame(Frame)
    /// A well-formed header announcing more than `maxFrameSize` bytes. The payload was
    /// skipped; the connection goes on, so the frame's call can be answered with an error.
    case oversized(FrameHeader)
}

/// Why a connection ended.
package enum ConnectionCloseReason: Sendable, Equatable, CustomStringConvertible {
    /// The peer closed its end (or exited).
    case endOfStream
    /// `close()` was called on this side.
    case closedLocally
    /// A read or write failed with this errno.
    case failed(Int32)
    /// The peer sent bytes that are not frames.
    case protocolViolation(String)

    package var description: String {
        switch self {
        case .endOfStream: "closed by peer"
        case .closedLocally: "closed locally"
        case .failed(let code): "socket error \(code)"
        case .protocolViolation(let why): "protocol violation: \(why)"
        }
    }
}

/// Sending on a connection that is already closed.
package struct ConnectionClosedError: Error, Sendable {
    package init() {}
}

/// A byte stream carrying frames in both directions: the transport under every call.
///
/// Delivery contract: after ``start(name:onStart:handler:onBatchEnd:onClose:)``, `onStart`
/// runs once on the thread that will deliver this connection's frames; `handler` gets every
/// frame in arrival order on that thread; `onBatchEnd` runs after the frames that arrived
/// together; `onClose` runs once, last. Handlers must be quick (resume a continuation, start a
/// task). The Unix-socket implementation gives each connection its own delivery thread; an
/// event-loop implementation would deliver many connections from one thread, which is why
/// callers bind per-thread state in `onStart` rather than assuming a thread per connection.
///
/// Sending never blocks: frames a full socket cannot take yet wait in the connection.
package protocol FrameConnection: AnyObject, Sendable {
    /// The largest frame payload accepted in either direction.
    var maxFrameSize: Int { get }
    /// Whether the connection has ended or is ending.
    var isClosed: Bool { get }

    /// Starts delivering frames (see the type's delivery contract).
    func start(
        name: String,
        onStart: (@Sendable () -> Void)?,
        handler: @escaping @Sendable (FrameInbound) -> Void,
        onBatchEnd: (@Sendable () -> Void)?,
        onClose: @escaping @Sendable (ConnectionCloseReason) -> Void
    )

    /// Sends one complete frame (header included). Frames from one thread arrive in order.
    func send(_ bytes: [UInt8]) throws(ConnectionClosedError)

    /// Queues a frame to go with the next ``flush()`` or send: the delivery thread queues the
    /// replies of a batch and writes them together.
    func enqueue(_ bytes: [UInt8]) throws(ConnectionClosedError)

    /// Writes everything queued.
    func flush()

    /// Ends the connection: the peer sees end-of-stream, `onClose` gets `reason` (unless the
    /// connection had already ended for another reason).
    func close(reason: ConnectionCloseReason)

    /// The accepting side has accepted the peer's hello: lifts the limits that apply before
    /// it (the small frame size). Called on the delivery thread, before the welcome is sent.
    func handshakeCompleted()
}

extension FrameConnection {
    /// Connections without pre-handshake limits have nothing to lift.
    package func handshakeCompleted() {}

    /// Ends the connection from this side.
    package func close() {
        close(reason: .closedLocally)
    }

    /// Starts delivering frames without start or batch hooks.
    package func start(name: String, handler: @escaping @Sendable (FrameInbound) -> Void, onClose: @escaping @Sendable (ConnectionCloseReason) -> Void) {
        start(name: name, onStart: nil, handler: handler, onBatchEnd: nil, onClose: onClose)
    }
}
