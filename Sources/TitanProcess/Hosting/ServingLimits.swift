/// What a child's listening socket grants callers the manager did not vouch for yet, and
/// what any caller may make it hold. The manager's own channel has only ``maxUnsentBytes``.
package struct ServingLimits: Sendable, Equatable {
    /// How long a connection may take to send a hello with the right proof.
    package var handshakeTimeout: Duration
    /// Connections open at once on the listening socket; more are closed on accept.
    package var maxConnections: Int
    /// Replies (and stream elements) waiting to be sent on one connection above which the
    /// child stops reading that connection until its peer reads.
    package var maxUnsentBytes: Int

    package init(handshakeTimeout: Duration = .seconds(5), maxConnections: Int = 64, maxUnsentBytes: Int = 1 << 20) {
        self.handshakeTimeout = handshakeTimeout
        self.maxConnections = maxConnections
        self.maxUnsentBytes = maxUnsentBytes
    }
}
