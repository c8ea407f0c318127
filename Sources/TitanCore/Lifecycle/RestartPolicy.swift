/// Whether and how a process that dies is started again.
///
/// Restarts are counted over a sliding window: if the process needs more than `maxRestarts`
/// restarts within `window`, the manager gives up, marks it ``ProcessStatus/failed`` and
/// emits an event. Between restarts it waits for the backoff delay of the attempt.
public struct RestartPolicy: Sendable, Hashable {
    /// Which exits lead to a restart.
    public enum Mode: Sendable, Hashable {
        /// Never restart.
        case never
        /// Restart after a crash (a signal or a non-zero exit code), not after a clean exit.
        case onFailure
        /// Restart after any exit that was not requested.
        case always
    }

    public var mode: Mode
    public var maxRestarts: Int
    public var window: Duration
    public var backoff: Backoff

    public init(mode: Mode, maxRestarts: Int = 5, within window: Duration = .seconds(60), backoff: Backoff = .exponential()) {
        self.mode = mode
        self.maxRestarts = maxRestarts
        self.window = window
        self.backoff = backoff
    }

    /// Dead stays dead.
    public static let never = RestartPolicy(mode: .never, maxRestarts: 0)

    /// Restart after crashes, at most `maxRestarts` times within `window`.
    public static func onFailure(maxRestarts: Int = 5, within window: Duration = .seconds(60), backoff: Backoff = .exponential()) -> RestartPolicy {
        RestartPolicy(mode: .onFailure, maxRestarts: maxRestarts, within: window, backoff: backoff)
    }

    /// Restart after every unrequested exit, at most `maxRestarts` times within `window`.
    public static func always(maxRestarts: Int = 5, within window: Duration = .seconds(60), backoff: Backoff = .exponential()) -> RestartPolicy {
        RestartPolicy(mode: .always, maxRestarts: maxRestarts, within: window, backoff: backoff)
    }

    /// Whether an unrequested exit with `status` calls for a restart (before counting).
    public func wantsRestart(after status: Termination) -> Bool {
        switch mode {
        case .never: false
        case .onFailure: !status.isSuccess
        case .always: true
        }
    }
}

/// The delay before restart attempt *n* (0 for the first restart in the window).
public struct Backoff: Sendable, Hashable {
    public enum Curve: Sendable, Hashable {
        case constant(Duration)
        /// `initial + n * step`
        case linear(initial: Duration, step: Duration)
        /// `initial * factor^n`
        case exponential(initial: Duration, factor: Double)
    }

    public var curve: Curve
    /// No delay exceeds this (before jitter).
    public var cap: Duration
    /// Spreads each delay uniformly over ±`jitter` of itself (0...1), so processes that crashed
    /// together do not restart in lock step.
    public var jitter: Double

    public init(curve: Curve, cap: Duration = .seconds(30), jitter: Double = 0) {
        self.curve = curve
        self.cap = cap
        self.jitter = min(max(jitter, 0), 1)
    }

    public static let none = Backoff(curve: .constant(.zero))

    public static func constant(_ delay: Duration, jitter: Double = 0) -> Backoff {
        Backoff(curve: .constant(delay), cap: delay, jitter: jitter)
    }

    public static func linear(initial: Duration = .milliseconds(100), step: Duration = .milliseconds(100), cap: Duration = .seconds(30), jitter: Double = 0) -> Backoff {
        Backoff(curve: .linear(initial: initial, step: step), cap: cap, jitter: jitter)
    }

    public static func exponential(initial: Duration = .milliseconds(100), factor: Double = 2, cap: Duration = .seconds(30), jitter: Double = 0) -> Backoff {
        Backoff(curve: .exponential(initial: initial, factor: factor), cap: cap, jitter: jitter)
    }

    /// The delay before attempt `attempt` without jitter.
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
