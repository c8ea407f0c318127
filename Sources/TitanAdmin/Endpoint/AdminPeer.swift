import Glibc

/// Who sent an admin request, as the endpoint established it.
public struct AdminPeer: Sendable, Hashable, CustomStringConvertible {
    /// How the request arrived.
    public enum Transport: String, Sendable, Hashable {
        /// The Unix socket; ``AdminPeer/uid`` and ``AdminPeer/pid`` come from the kernel.
        case unixSocket
        /// TCP, with the token.
        case tcp
        /// The web dashboard.
        case http
    }

    /// How the request arrived.
    public var transport: Transport
    /// The peer's user id (Unix socket only).
    public var uid: uid_t?
    /// The peer's process id (Unix socket only).
    public var pid: pid_t?
    /// The peer's network address (TCP and HTTP).
    public var address: String?

    /// A peer.
    public init(transport: Transport, uid: uid_t? = nil, pid: pid_t? = nil, address: String? = nil) {
        self.transport = transport
        self.uid = uid
        self.pid = pid
        self.address = address
    }

    public var description: String {
        var parts = [transport.rawValue]
        if let uid { parts.append("uid=\(uid)") }
        if let pid { parts.append("pid=\(pid)") }
        if let address { parts.append(address) }
        return parts.joined(separator: " ")
    }
}
