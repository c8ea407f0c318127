/// Counts the calls accepted in the last `window` before each call: an exact limit at every
/// instant.
///
/// Remembers the instant of each accepted call still inside the window, so its memory grows
/// with the limit (16 bytes per call for `ContinuousClock`); for a very large limit,
/// ``TokenBucket`` or ``FixedWindowCounter`` cost O(1).
public struct SlidingWindowLog<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// Calls accepted per window.
    public let limit: Int
    /// The window's length.
    public let window: Duration
    /// Accepted instants, oldest first, in a ring of `limit` slots starting at `head`.
    private var accepted: [Instant] = []
    private var head = 0

    /// A log accepting `limit` calls in any `window`.
    public init(limit: Int, window: Duration) {
        self.limit = max(limit, 0)
        self.window = window
    }

    /// The calls accepted within the window before `now`.
    public func count(at now: Instant) -> Int {
        // Oldest first, so the ones still in the window are a suffix: find where it starts.
        var low = 0
        var high = accepted.count
        while low < high {
            let middle = (low + high) / 2
            if inWindow(accepted[(head + middle) % accepted.count], now: now) { high = middle } else { low = middle + 1 }
        }
        return accepted.count - low
    }

    /// Counts a call at `now` if fewer than `limit` were accepted in the window before it.
    public mutating func acquire(now: Instant) -> RateLimitDecision {
        guard limit > 0 else { return .limited(retryAfter: window) }
        if accepted.count < limit {
            accepted.append(now)
            return .allowed(remaining: limit - count(at: now))
        }
        // Full ring: the oldest accepted call decides.
        let oldest = accepted[head]
        guard !inWindow(oldest, now: now) else {
            return .limited(retryAfter: window - oldest.duration(to: now))
        }
        accepted[head] = now
        head = (head + 1) % limit
        return .allowed(remaining: limit - count(at: now))
    }

    private func inWindow(_ instant: Instant, now: Instant) -> Bool {
        instant.duration(to: now) < window
    }
}
