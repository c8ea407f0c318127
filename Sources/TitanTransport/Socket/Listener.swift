import CTitan
import Glibc
import Synchronization
import TitanCore
import TitanWire

/// A listening Unix-domain socket with one thread accepting connections.
///
/// A listener made with `sameUserOnly` serves only processes of this process's user (or root):
/// a connection from any other user is closed at once. That is what a `0700` directory around a
/// socket file gives, and what an abstract socket (which has no file permissions) needs. An
/// owner with its own policy (the admin endpoint's allowed users, a TCP token) checks instead.
package final class Listener: Sendable {
    package let path: String
    private let fd: Int32
    private let sameUserOnly: Bool
    private let stopped = Mutex(false)

    /// Binds `path` (replacing a stale socket file) and listens; with `sameUserOnly`, only
    /// peers of this process's user (or root) are handed to `onAccept`.
    package init(path: String, sameUserOnly: Bool = true) throws(SocketError) {
        self.path = path
        self.sameUserOnly = sameUserOnly
        fd = try UnixSocket.listen(path: path)
    }

    /// Accepts on `descriptor`, already bound and listening (a TCP socket, say); ``stop()``
    /// removes no file.
    package init(listening descriptor: Int32) {
        path = ""
        fd = descriptor
        sameUserOnly = false
    }

    /// Starts accepting; `onAccept` receives each new connected descriptor (close-on-exec) on
    /// the accept thread.
    package func start(onAccept: @escaping @Sendable (Int32) -> Void) {
        startDetachedThread(name: "titan-accept") { [self] in
            while true {
                let client = titan_accept_cloexec(fd)
                if client >= 0 {
                    guard !sameUserOnly || Self.isSameUser(client) else {
                        Glibc.close(client)
                        continue
                    }
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

    private static func isSameUser(_ client: Int32) -> Bool {
        var peer: uid_t = 0
        return titan_peer_uid(client, &peer) == 0 && (peer == geteuid() || peer == 0)
    }

    /// Stops accepting and removes the socket file. Connections already accepted stay open.
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
