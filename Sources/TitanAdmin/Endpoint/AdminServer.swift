import CTitanAdmin
import FoundationEssentials
import Glibc
import ServiceLifecycle
import Synchronization
import TitanAdminAPI
import TitanPM
import TitanTransport

/// A manager's admin endpoint: what `titan`, scripts and the dashboard use to see and steer a
/// running manager. Opened by ``TitanPM/ProcessManager/serveAdmin(_:)``.
///
/// The protocol is newline-delimited JSON (see ``/TitanAdminAPI/AdminRequest`` and
/// ``/TitanAdminAPI/AdminReply``): write one request per line, read one reply per line, or a
/// stream of them for `follow`. Try it with `socat`:
///
/// ```sh
/// echo '{"op":"status"}' | socat - UNIX-CONNECT:/tmp/titan-$(id -u)/admin.sock
/// ```
///
/// On the Unix socket the kernel tells the endpoint who connected (`SO_PEERCRED`): a peer
/// whose user is not the manager's (or in ``AdminOptions/allowedUsers``) is refused, whatever
/// the socket file's mode. On TCP every request must carry ``AdminOptions/TCP/token``.
public final class AdminServer: Sendable {
    /// The Unix socket's path.
    public let socketPath: String
    /// The TCP port, when ``AdminOptions/tcp`` is set (the one chosen, for port 0).
    public let tcpPort: Int?
    package let controller: AdminController

    private let unixListener: Listener
    private let tcpListener: Listener?
    private let connections = Mutex<(next: Int, all: [Int: AdminConnection], stopped: Bool)>((0, [:], false))
    private let allowedUsers: Set<uid_t>

    /// Opens the endpoint; see ``TitanPM/ProcessManager/serveAdmin(_:)``.
    init(manager: ProcessManager, options: AdminOptions, metrics: any ProcessMetricsSource, logs: any ProcessLogSource) throws {
        let path = AdminEndpoint.socketPath(explicit: options.socketPath)
        try Self.prepare(path: path, isDefault: options.socketPath == nil && getenv(AdminEndpoint.socketVariable) == nil)
        do {
            // The endpoint checks peer credentials itself, against its allowed users.
            unixListener = try Listener(path: path)
        } catch {
            throw AdminError(.failed, "cannot listen on \(path): \(error)")
        }
        chmod(path, options.socketMode)
        socketPath = path
        if let tcp = options.tcp {
            guard !tcp.token.isEmpty else {
                unixListener.stop()
                throw AdminError(.badRequest, "a TCP admin endpoint needs a token")
            }
            do {
                let (fd, port) = try TCPSocket.listen(host: tcp.host, port: tcp.port)
                tcpListener = Listener(listening: fd)
                tcpPort = port
            } catch {
                unixListener.stop()
                throw error
            }
        } else {
            tcpListener = nil
            tcpPort = nil
        }
        allowedUsers = Set([geteuid()] + options.allowedUsers)
        controller = AdminController(manager: manager, options: options, metrics: metrics, logs: logs)
        controller.start()
        let token = options.tcp?.token
        unixListener.start { [weak self] fd in self?.acceptUnix(fd) }
        tcpListener?.start { [weak self] fd in self?.acceptTCP(fd, token: token ?? "") }
        manager.logger.info("admin endpoint open", metadata: [
            "socket": "\(path)", "tcp": "\(tcpPort.map { "\(options.tcp!.host):\($0)" } ?? "off")",
        ])
    }

    /// Closes the listeners and every connection; follow streams end.
    public func stop() {
        let open = connections.withLock { state -> [AdminConnection] in
            state.stopped = true
            return Array(state.all.values)
        }
        unixListener.stop()
        tcpListener?.stop()
        controller.stop()
        for connection in open { connection.close() }
    }

    private func acceptUnix(_ fd: Int32) {
        guard let credentials = UnixSocket.peerCredentials(fd) else {
            Glibc.close(fd)
            return
        }
        let uid = credentials.uid
        let peer = AdminPeer(transport: .unixSocket, uid: uid, pid: credentials.pid)
        let connection = register(fd: fd, peer: peer, token: nil)
        guard allowedUsers.contains(uid) else {
            controller.manager.logger.warning("admin connection refused", metadata: ["peer": "\(peer)"])
            connection?.refuse(AdminError(.unauthorized, "user \(uid) may not use this manager's admin socket (it belongs to user \(geteuid()))"))
            return
        }
        connection?.start()
    }

    private func acceptTCP(_ fd: Int32, token: String) {
        register(fd: fd, peer: AdminPeer(transport: .tcp, address: TCPSocket.peerAddress(fd)), token: token)?.start()
    }

    private func register(fd: Int32, peer: AdminPeer, token: String?) -> AdminConnection? {
        let key = connections.withLock { state -> Int? in
            guard !state.stopped else { return nil }
            defer { state.next += 1 }
            return state.next
        }
        guard let key else {
            Glibc.close(fd)
            return nil
        }
        let connection = AdminConnection(fd: fd, peer: peer, controller: controller, token: token) { [weak self] in
            _ = self?.connections.withLock { $0.all.removeValue(forKey: key) }
        }
        connections.withLock { $0.all[key] = connection }
        return connection
    }

    /// Makes sure the socket can be created at `path` without taking over a live manager's
    /// endpoint or trusting a directory another user controls.
    private static func prepare(path: String, isDefault: Bool) throws {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if isDefault && !directory.isEmpty {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw AdminError(.failed, "cannot create \(directory): \(String(cString: strerror(errno)))")
            }
            var info = stat()
            guard lstat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
                throw AdminError(.refused, "\(directory) must be a directory of user \(geteuid()) that no one else can enter")
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw AdminError(.failed, "\(path) exists and is not a socket; not replacing it")
        }
        if (try? AdminClient(.unix(path))) != nil {
            throw AdminError(.failed, "another manager is already serving at \(path); pass AdminOptions(socketPath:) or set $\(AdminEndpoint.socketVariable)")
        }
    }
}

/// Running the endpoint in a ServiceLifecycle `ServiceGroup`.
extension AdminServer: Service {
    /// Serves until the service group shuts down gracefully (or the task is cancelled), then
    /// closes the endpoint.
    public func run() async throws {
        try? await gracefulShutdown()
        stop()
    }
}

/// Opening the admin endpoint.
extension ProcessManager {
    /// Opens the admin endpoint for this manager (``AdminServer``): by default a Unix socket
    /// only this user can use, at the path `titan` looks at.
    ///
    /// ```swift
    /// let admin = try pm.serveAdmin(AdminOptions(services: [SpawnableService(Calculator.self)]))
    /// // $ titan status
    /// ```
    ///
    /// - Throws: ``/TitanAdminAPI/AdminError`` when another manager already serves at the path,
    ///   the socket cannot be created, or a TCP endpoint has no token.
    public func serveAdmin(_ options: AdminOptions = AdminOptions()) throws -> AdminServer {
        try AdminServer(
            manager: self, options: options,
            metrics: observability.metrics ? RecordedMetrics(manager: self) : ProcFSOnlyMetrics(),
            logs: observability.logs.capture ? CapturedLogs(manager: self) : NoLogCapture()
        )
    }
}
