import TitanWire

/// How a serving connection knows its peer may call: what ``CallServer`` checks in the hello.
package enum CallerAuthentication: Sendable {
    /// The connection itself is the proof: the manager's end of the child's private
    /// socketpair, or the in-memory transport inside one process.
    case channel
    /// Anyone can connect to a listening socket: the hello must carry `secret` (see
    /// ``PeerSecret``) and arrive within `handshakeTimeout` of the connection.
    case secret(PeerSecret, handshakeTimeout: Duration)
}
