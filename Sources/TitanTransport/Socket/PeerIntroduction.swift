import TitanCore
import TitanWire

/// What the manager gives a caller it introduces to a child: where the child listens, which
/// process must be at the other end, and the secret to prove in the hello.
package struct PeerIntroduction: Sendable {
    /// The child's process id in the manager.
    package var process: ProcessID
    /// The OS process that must hold the listening socket (checked with SO_PEERCRED before
    /// the secret is sent, so a socket planted under the name learns nothing).
    package var pid: Int32
    /// The child's listening socket: a name in the abstract namespace (`@...`), the same for
    /// every process on the host (in one network namespace).
    package var socketPath: String
    package var secret: PeerSecret

    package init(process: ProcessID, pid: Int32, socketPath: String, secret: PeerSecret) {
        self.process = process
        self.pid = pid
        self.socketPath = socketPath
        self.secret = secret
    }
}
