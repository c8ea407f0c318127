/// How long to wait before attempt *n* of something that failed (0 for the first retry):
/// restarting a crashed process, retrying a call (`@Retry`), a workflow stage or a
/// compensation. One type for every backoff in the runtime.
///
/// ```swift
/// Backoff.exponential(initial: .milliseconds(100), factor: 2, cap: .seconds(30), jitter: 0.2)
/// Backoff.linear(initial: .milliseconds(100), step: .milliseconds(100))
/// Backoff.constant(.seconds(1))
/// ```
public struct Backoff: Codable, Sendable, Hashable {
    /// How the base delay grows with the attempt number *n*.
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
    /// No delay exceeds this (before jitter).
    public var cap: Duration
    /// Spreads each delay uniformly over ±`jitter` of itself (0...1), so that processes that
    /// crashed together (or callers that failed together) do not come back in lock step.
    public var jitter: Double

    /// A backoff of `curve`, capped at `cap`, with `jitter`.
    public init(curve: Curve, cap: Duration = .seconds(30), jitter: Double = 0) {
        self.curve = curve
        self.cap = cap
        self.jitter = min(max(jitter, 0), 1)
    }

    /// No wait at all.
    public static let none = Backoff(curve: .constant(.zero))

    /// Wait `delay` before every attempt.
    public static func constant(_ delay: Duration, jitter: Double = 0) -> Backoff {
        Backoff(curve: .constant(delay), cap: delay, jitter: jitter)
    }

    /// Wait `initial`, then `step` longer each time, up to `cap`.
    public static func linear(initial: Duration = .milliseconds(100), step: Duration = .milliseconds(100), cap: Duration = .seconds(30), jitter: Double = 0) -> Backoff {
        Backoff(curve: .linear(initial: initial, step: step), cap: cap, jitter: jitter)
    }

    /// Wait `initial`, then `factor` times longer each time, up to `cap`.
    public static func exponential(initial: Duration = .milliseconds(100), factor: Double = 2, cap: Duration = .seconds(30), jitter: Double = 0) -> Backoff {
        Backoff(curve: .exponential(initial: initial, factor: factor), cap: cap, jitter: jitter)
    }

    /// The delay before attempt `attempt` (0 for the first), without jitter.
    public func baseDelay(attempt: Int) -> Duration {
        let n = max(attempt, 0)
        let raw: Duration = switch curve {
        case .constant(let delay): delay
        case .linear(let initial, let step): initial + step * n
        case .exponential(let initial, let factor): initial * pow(factor, n)
        }
        return min(raw, cap)
    }

    /// The delay before attempt `attempt`, jittered with `generator`.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let base = baseDelay(attempt: attempt)
        guard jitter > 0 else { return base }
        let factor = 1 + Double.random(in: -jitter...jitter, using: &generator)
        return max(.zero, base * factor)
    }

    /// The delay before attempt `attempt`, jittered with the system's random numbers.
    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }

    private func pow(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<min(exponent, 1024) {
            result *= base
            if result > 1e12 { break }
        }
        return result
    }
}
