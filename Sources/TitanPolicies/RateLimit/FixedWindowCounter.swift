/// Counts calls in consecutive fixed windows of time, starting at the first call.
///
/// O(1) time and memory. Up to twice the limit can pass in one window's length when calls
/// bunch up on either side of a boundary; ``SlidingWindowLog`` does not have that edge.
public struct FixedWindowCounter<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// Calls accepted per window.
    public let limit: Int
    /// The window's length.
    public let window: Duration
    private var windowStart: Instant?
    private var count = 0

    /// A counter accepting `limit` calls per `window`.
    public init(limit: Int, window: Duration) {
        self.limit = max(limit, 0)
        self.window = window
    }

    /// Counts a call at `now` if the current window has room.
    public mutating func acquire(now: Instant) -> RateLimitDecision {
        let start = currentWindow(at: now)
        guard count < limit else {
            return .limited(retryAfter: max(.zero, now.duration(to: start.advanced(by: window))))
        }
        count += 1
        return .allowed(remaining: limit - count)
    }

    private mutating func currentWindow(at now: Instant) -> Instant {
        guard let start = windowStart else {
            windowStart = now
            return now
        }
        let elapsed = start.duration(to: now)
        guard elapsed >= window, window > .zero else { return start }
        let passed = (elapsed / window).rounded(.down)
        let next = start.advanced(by: window * passed)
        windowStart = next
        count = 0
        return next
    }
}
