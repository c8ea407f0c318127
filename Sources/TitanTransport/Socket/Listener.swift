import CTitan
import Glibc
import Synchronization
import TitanCore
import TitanWire

/// A listening Unix-domain socket with one thread accepting connections.
///
/// It admits at most `maxConnections` at a time (each costs the owner a reader thread) and
/// only peers whose user id the kernel reports (SO_PEERCRED) as `allowedUID`; others are
/// closed at once, before a byte is read from them. An abstract socket (a path starting with
/// `@`) has no file permissions: `allowedUID` is what keeps other users out of it.
package final class Listener: Sendable {
    package let path: String
    package let maxConnections: Int
    package let allowedUID: UInt32?
    private let fd: Int32
    private let stopped = Mutex(false)
    private let open = Atomic<Int>(0)

    /// Binds `path` (replacing a stale socket file; see ``UnixSocket`` for abstract names) and listens.
    package init(path: String, maxConnections: Int = .max, allowedUID: UInt32? = nil) throws(SocketError) {
        self.path = path
        self.maxConnections = maxConnections
        self.allowedUID = allowedUID
        fd = try UnixSocket.listen(path: path)
    }

    /// Accepts on `descriptor`, already bound and listening (a TCP socket, say), with no peer
    /// check (its owner checks a token); ``stop()`` removes no file.
    package init(listening descriptor: Int32, maxConnections: Int = .max) {
        path = ""
        fd = descriptor
        self.maxConnections = maxConnections
        allowedUID = nil
    }

    /// Connections admitted and not yet reported closed.
    package var openConnections: Int { open.load(ordering: .relaxed) }

    /// Starts accepting; `onAccept` receives each admitted connected descriptor
    /// (close-on-exec) on the accept thread, and must call ``connectionClosed()`` once that
    /// connection has ended.
    package func start(onAccept: @escaping @Sendable (Int32) -> Void) {
        startDetachedThread(name: "titan-accept") { [self] in
            while true {
                let client = titan_accept_cloexec(fd)
                if client >= 0 {
                    if admit(client) {
                        onAccept(client)
                    } else {
                        Glibc.close(client)
                    }
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

    private func admit(_ client: Int32) -> Bool {
        if let allowedUID {
            guard let peer = UnixSocket.peerCredentials(client), peer.uid == allowedUID else { return false }
        }
        let (admitted, _) = open.wrappingAdd(1, ordering: .relaxed)
        guard admitted < maxConnections else {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// A connection handed to `onAccept` has ended: its place is free.
    package func connectionClosed() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Stops accepting and removes the socket file, if it has one. Connections already accepted stay open.
    package func stop() {
        let first = stopped.withLock { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        if !path.isEmpty, !UnixSocket.isAbstract(path) { unlink(path) }
        // shutdown wakes the thread blocked in accept, which then closes the descriptor.
        shutdown(fd, Int32(SHUT_RDWR))
    }
}
