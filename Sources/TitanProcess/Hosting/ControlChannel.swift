import Glibc
import Synchronization
import TitanCore
import TitanTransport
import TitanWire

/// The child's end of its control channel: a socketpair of its own, read by a thread that never
/// runs user code, so that a stop, a health check, a heartbeat or a cancellation reaches the
/// runtime even while the service keeps every other thread busy.
///
/// The parent's requests go to a handler, which answers each through the reply it is given —
/// from any thread, once. End of file means the parent is gone: the process exits at once.
package final class ControlChannel: Sendable {
    /// What a handler answers: the reply's payload, or why it failed.
    package typealias Reply = @Sendable (Result<[UInt8], ProcessError>) -> Void

    private let fd: Int32
    private let writing = Mutex(())

    /// The channel on descriptor `fd` of this process.
    package init(fd: Int32) {
        self.fd = fd
    }

    /// Starts the reading thread; `handle` gets each request and the means to answer it.
    package func start(handle: @escaping @Sendable (ControlRequest, @escaping Reply) -> Void) {
        startDetachedThread(name: "titan-control") { [self] in
            while true {
                guard let bytes = UnixSocket.readMessage(fd, limit: ControlChannelMessage.maxSize) else {
                    _exit(0) // The parent is gone.
                }
                guard case .request(let id, let request)? = try? ControlChannelMessage(bytes: bytes) else { continue }
                handle(request) { [self] result in
                    switch result {
                    case .success(let payload): send(.done(id: id, payload))
                    case .failure(let error): send(.failed(id: id, error.message))
                    }
                }
            }
        }
    }

    private func send(_ message: ControlChannelMessage) {
        var bytes = message.bytes
        // The parent ends a channel that sends it more; a health status with a huge message
        // must not cost the child its channel.
        if bytes.count > ControlChannelMessage.maxSize, case .done(let id, _) = message {
            bytes = ControlChannelMessage.failed(id: id, "the reply is larger than \(ControlChannelMessage.maxSize) bytes").bytes
        }
        writing.withLock { _ in _ = UnixSocket.writeMessage(fd, bytes) }
    }
}
