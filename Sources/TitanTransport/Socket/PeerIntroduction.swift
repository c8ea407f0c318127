import TitanCore
import TitanWire

/// What the manager gives a caller it introduces to a child: where the child listens, which
/// process must be at the other end, and the secret to prove in the hello.
package struct PeerIntroduction: Sendable {
    /// The child's process id in the manager.
    package var process: ProcessID
    /// The OS process that must hold the listening socket (checked with SO_PEERCRED before
    /// the secret is sent, so a socket planted at the path learns nothing).
    package var pid: Int32
    /// The socket's path, valid in the manager's process (it goes through the manager's
    /// descriptor of the socket directory).
    package var socketPath: String
    /// The socket's path in the file system, for other processes.
    package var externalPath: String
    package var secret: PeerSecret

    package init(process: ProcessID, pid: Int32, socketPath: String, externalPath: String, secret: PeerSecret) {
        self.process = process
        self.pid = pid
        self.socketPath = socketPath
        self.externalPath = externalPath
        self.secret = secret
    }
}
