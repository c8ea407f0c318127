/// A bucket of `capacity` tokens that refills at `limit` tokens per `window`; each call takes
/// one. Allows a burst of up to `capacity` calls after a quiet period, and `limit` per
/// window on average.
public struct TokenBucket<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// Tokens added per window.
    public let limit: Int
    /// The refill period.
    public let window: Duration
    /// The most tokens the bucket holds.
    public let capacity: Int
    private var tokens: Double
    private var refilled: Instant?

    /// A full bucket of `capacity` tokens (the limit if nil), refilled at `limit` per `window`.
    public init(limit: Int, window: Duration, capacity: Int? = nil) {
        self.limit = max(limit, 0)
        self.window = window
        self.capacity = max(capacity ?? limit, 1)
        tokens = Double(self.capacity)
    }

    /// The whole tokens available at `now`.
    public func available(at now: Instant) -> Int {
        Int(level(at: now).rounded(.down))
    }

    /// Takes a token at `now` if there is one.
    public mutating func acquire(now: Instant) -> RateLimitDecision {
        tokens = level(at: now)
        if let refilled, now < refilled {
            // Time went backwards: keep the later instant so no tokens are invented.
        } else {
            refilled = now
        }
        guard tokens >= 1 else {
            guard limit > 0, window > .zero else { return .limited(retryAfter: window) }
            return .limited(retryAfter: window * ((1 - tokens) / Double(limit)))
        }
        tokens -= 1
        return .allowed(remaining: Int(tokens.rounded(.down)))
    }

    private func level(at now: Instant) -> Double {
        guard let refilled, window > .zero else { return tokens }
        let elapsed = max(.zero, refilled.duration(to: now))
        return min(Double(capacity), tokens + elapsed / window * Double(limit))
    }
}
