import TitanCore
import TitanTransport
import TitanWire

/// What a child learns from its manager to call a service directly: the id its reference
/// uses (the process's, or the pool's), the process to connect to now, and how.
struct MeshPeer: Codable, Sendable {
    /// The id the child's reference resolves with: stable across restarts.
    var route: ProcessID
    var name: String
    var version: String
    var process: ProcessID
    var pid: Int32
    var address: String
    var secret: [UInt8]
    /// Whether `route` is a pool (`process` is then one of its workers).
    var isPool: Bool

    init(route: ProcessID, name: String, version: String, introduction: PeerIntroduction, isPool: Bool = false) {
        self.route = route
        self.isPool = isPool
        self.name = name
        self.version = version
        process = introduction.process
        pid = introduction.pid
        address = introduction.socketPath
        secret = introduction.secret.bytes
    }

    var introduction: PeerIntroduction {
        PeerIntroduction(process: process, pid: pid, socketPath: address, secret: PeerSecret(bytes: secret))
    }
}
