/// A separate ``RateLimiter`` per key (a user, a tenant), tracking at most
/// ``RateLimitPolicy/maxKeys`` keys: the least recently seen key is forgotten first, and
/// starts with a fresh limit if it returns.
public struct KeyedRateLimiter<Key: Hashable & Sendable, Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// The policy each key's limiter enforces.
    public let policy: RateLimitPolicy
    private var limiters = LRUTable<Key, RateLimiter<Instant>>()

    /// A limiter per key for `policy`.
    public init(policy: RateLimitPolicy) {
        self.policy = policy
    }

    /// The number of keys tracked.
    public var trackedKeys: Int { limiters.count }

    /// Counts a call for `key` at `now`, or says when one will be accepted for that key.
    public mutating func acquire(key: Key, now: Instant) -> RateLimitDecision {
        var decision = RateLimitDecision.allowed(remaining: 0)
        let known = limiters.update(key) { decision = $0.acquire(now: now) }
        guard !known else { return decision }
        var limiter = RateLimiter<Instant>(policy: policy)
        decision = limiter.acquire(now: now)
        if limiters.count >= policy.maxKeys { _ = limiters.removeLeastRecent() }
        limiters.set(key, limiter)
        return decision
    }
}
