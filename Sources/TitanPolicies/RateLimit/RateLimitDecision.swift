/// What a rate limiter says about one call.
public enum RateLimitDecision: Sendable, Hashable {
    /// The call may go ahead; `remaining` more would be accepted right now.
    case allowed(remaining: Int)
    /// The call is over the limit; one will be accepted after `retryAfter`.
    case limited(retryAfter: Duration)

    /// Whether the call may go ahead.
    public var isAllowed: Bool {
        if case .allowed = self { true } else { false }
    }
}
