/// The wait before each retry of a call.
///
/// The same curves as the runtime's restart backoff; when the runtime's vocabulary module
/// exists, the two become one type.
public struct RetryBackoff: Codable, Sendable, Hashable {
    /// How the base delay grows with the retry number *n* (0 for the first retry).
    public enum Curve: Codable, Sendable, Hashable {
        /// The same delay every time.
        case constant(Duration)
        /// `initial + n × step`.
        case linear(initial: Duration, step: Duration)
        /// `initial × factorⁿ`.
        case exponential(initial: Duration, factor: Double)
    }

    /// How the delay grows.
    public var curve: Curve
    /// No base delay exceeds this.
    public var cap: Duration
    /// Spreads each delay uniformly over ±`jitter` of itself (0...1), so that callers that
    /// failed together do not retry together.
    public var jitter: Double

    /// A backoff of `curve`, capped at `cap`, with `jitter`.
    public init(curve: Curve, cap: Duration = .seconds(30), jitter: Double = 0) {
        self.curve = curve
        self.cap = cap
        self.jitter = min(max(jitter, 0), 1)
    }

    /// Retry at once.
    public static let immediate = RetryBackoff(curve: .constant(.zero))

    /// Wait `delay` before every retry.
    public static func constant(_ delay: Duration, jitter: Double = 0) -> RetryBackoff {
        RetryBackoff(curve: .constant(delay), cap: delay, jitter: jitter)
    }

    /// Wait `initial`, then `step` longer each time, up to `cap`.
    public static func linear(initial: Duration = .milliseconds(100), step: Duration = .milliseconds(100), cap: Duration = .seconds(30), jitter: Double = 0) -> RetryBackoff {
        RetryBackoff(curve: .linear(initial: initial, step: step), cap: cap, jitter: jitter)
    }

    /// Wait `initial`, then `factor` times longer each time, up to `cap`.
    public static func exponential(initial: Duration = .milliseconds(100), factor: Double = 2, cap: Duration = .seconds(30), jitter: Double = 0) -> RetryBackoff {
        RetryBackoff(curve: .exponential(initial: initial, factor: factor), cap: cap, jitter: jitter)
    }

    /// The delay before retry `retry` (0 for the first), before jitter.
    public func baseDelay(retry: Int) -> Duration {
        let n = max(retry, 0)
        switch curve {
        case .constant(let delay):
            return min(delay, cap)
        case .linear(let initial, let step):
            return min(initial + step * n, cap)
        case .exponential(let initial, let factor):
            var delay = initial
            for _ in 0..<n where delay < cap {
                delay = delay * factor
            }
            return min(delay, cap)
        }
    }

    /// The delay before retry `retry`, jittered with `generator`.
    public func delay(retry: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let base = baseDelay(retry: retry)
        guard jitter > 0 else { return base }
        return max(.zero, base * (1 + Double.random(in: -jitter...jitter, using: &generator)))
    }
}
