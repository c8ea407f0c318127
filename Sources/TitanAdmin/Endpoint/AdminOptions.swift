import Glibc
import TitanAdminAPI
import TitanPM

/// How a manager's admin endpoint listens and whom it lets do what
/// (see ``TitanPM/ProcessManager/serveAdmin(_:)``).
///
/// By default: a Unix socket at ``/TitanAdminAPI/AdminEndpoint/socketPath(explicit:)`` with mode
/// 0600, open to the manager's own user only (checked by the peer's credentials, not just the
/// file mode), every action allowed to that user, no TCP.
public struct AdminOptions: Sendable {
    /// A TCP listener. Any local user can reach a TCP port, so every request must carry the token.
    public struct TCP: Sendable {
        /// The address to bind; a loopback address unless you mean to expose the manager.
        public var host: String
        /// 0 picks a free port (read it back from ``AdminServer/tcpPort``).
        public var port: Int
        /// The secret every request must carry (``/TitanAdminAPI/AdminRequest/token``).
        public var token: String

        /// A TCP listener on `host:port` that requires `token`.
        public init(host: String = "127.0.0.1", port: Int = 0, token: String) {
            self.host = host
            self.port = port
            self.token = token
        }
    }

    /// The socket's path; nil uses `$TITAN_SOCKET`, else the default path `titan` looks at.
    public var socketPath: String?
    /// The socket file's permissions. 0600 lets only the owner connect; the peer-credential
    /// check applies whatever the mode.
    public var socketMode: mode_t
    /// Users other than the manager's own who may use the socket.
    public var allowedUsers: [uid_t]
    /// Also listen on TCP, with a token.
    public var tcp: TCP?
    /// Refuse every action (reads still work).
    public var readOnly: Bool
    /// Decides each action of an authenticated peer; nil allows them all (unless ``readOnly``).
    public var authorize: (@Sendable (AdminPeer, AdminRequest) -> Bool)?
    /// Services an operator may start by name (``/TitanAdminAPI/AdminOperation/spawn``).
    public var services: [SpawnableService]
    /// How often CPU, memory and call rates are sampled.
    public var sampleInterval: Duration
    /// How many past events are kept for clients that connect later.
    public var eventHistory: Int

    /// Options for an admin endpoint; every parameter has the default described above.
    public init(
        socketPath: String? = nil,
        socketMode: mode_t = 0o600,
        allowedUsers: [uid_t] = [],
        tcp: TCP? = nil,
        readOnly: Bool = false,
        authorize: (@Sendable (AdminPeer, AdminRequest) -> Bool)? = nil,
        services: [SpawnableService] = [],
        sampleInterval: Duration = .seconds(1),
        eventHistory: Int = 500
    ) {
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.allowedUsers = allowedUsers
        self.tcp = tcp
        self.readOnly = readOnly
        self.authorize = authorize
        self.services = services
        self.sampleInterval = sampleInterval
        self.eventHistory = max(0, eventHistory)
    }
}
