/// One rate limit, counted with the strategy its ``RateLimitPolicy`` names.
///
/// A pure state machine: give it the time of each call.
///
/// ```swift
/// var limiter = RateLimiter<ContinuousClock.Instant>(policy: RateLimitPolicy(100, per: .seconds(1)))
/// if case .limited(let retryAfter) = limiter.acquire(now: .now) {
///     throw PolicyError.rateLimited(retryAfter: retryAfter)
/// }
/// ```
public struct RateLimiter<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    private enum Counter: Sendable {
        case fixed(FixedWindowCounter<Instant>)
        case sliding(SlidingWindowLog<Instant>)
        case bucket(TokenBucket<Instant>)
    }

    /// The policy this limiter enforces.
    public let policy: RateLimitPolicy
    private var counter: Counter

    /// A limiter for `policy` (its `key` and `maxKeys` are ignored: see ``KeyedRateLimiter``).
    public init(policy: RateLimitPolicy) {
        self.policy = policy
        switch policy.strategy.kind {
        case .fixedWindow:
            counter = .fixed(FixedWindowCounter(limit: policy.limit, window: policy.window))
        case .slidingWindow:
            counter = .sliding(SlidingWindowLog(limit: policy.limit, window: policy.window))
        case .tokenBucket:
            counter = .bucket(TokenBucket(limit: policy.limit, window: policy.window, capacity: policy.strategy.burst))
        }
    }

    /// Counts a call at `now`, or says when one will be accepted.
    public mutating func acquire(now: Instant) -> RateLimitDecision {
        switch counter {
        case .fixed(var state):
            defer { counter = .fixed(state) }
            return state.acquire(now: now)
        case .sliding(var state):
            defer { counter = .sliding(state) }
            return state.acquire(now: now)
        case .bucket(var state):
            defer { counter = .bucket(state) }
            return state.acquire(now: now)
        }
    }
}
