import CTitan
import Glibc
import Synchronization
import TitanCore
import TitanWire

/// A listening Unix-domain socket with one thread accepting connections.
package final class Listener: Sendable {
    package let path: String
    private let fd: Int32
    private let stopped = Mutex(false)

    /// Binds `path` (replacing a stale socket file) and listens.
    package init(path: String) throws(SocketError) {
        self.path = path
        fd = try UnixSocket.listen(path: path)
    }

    /// Accepts on `descriptor`, already bound and listening (a TCP socket, say); ``stop()``
    /// removes no file.
    package init(listening descriptor: Int32) {
        path = ""
        fd = descriptor
    }

    /// Starts accepting; `onAccept` receives each new connected descriptor (close-on-exec) on
    /// the accept thread.
    package func start(onAccept: @escaping @Sendable (Int32) -> Void) {
        startDetachedThread(name: "titan-accept") { [self] in
            while true {
                let client = titan_accept_cloexec(fd)
                if client >= 0 {
                    onAccept(client)
                    continue
                }
                if errno == EINTR || errno == ECONNABORTED { continue }
                if stopped.withLock({ $0 }) { break }
                // EMFILE and friends: back off briefly rather than spin, and keep serving.
                usleep(10_000)
            }
            Glibc.close(fd)
        }
    }

    /// Stops accepting and removes the socket file. Connections already accepted stay open.
    package func stop() {
        let first = stopped.withLock { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        if !path.isEmpty { unlink(path) }
        // shutdown wakes the thread blocked in accept, which then closes the descriptor.
        shutdown(fd, Int32(SHUT_RDWR))
    }
}
