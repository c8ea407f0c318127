/// Whether and how a process that dies is started again.
///
/// Restarts are counted over a sliding window: if the process needs more than `maxRestarts`
/// restarts within `window`, the manager gives up, marks it ``ProcessStatus/failed`` and
/// emits an event. Between restarts it waits for the backoff delay of the attempt.
///
/// ```swift
/// let options = SpawnOptions(restartPolicy: .onFailure(maxRestarts: 3, within: .seconds(60),
///                                                      backoff: .exponential(initial: .milliseconds(200))))
/// ```
///
/// Only exits nobody asked for count: a process stopped or restarted through the manager is
/// never restarted by its policy. A process in a pool or a supervision tree follows the
/// pool's or the supervisor's rules instead; its own policy is ignored.
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

    /// Which exits lead to a restart.
    public var mode: Mode
    /// The most restarts allowed within ``window``; the exit that would need one more marks
    /// the process failed.
    public var maxRestarts: Int
    /// How far back restarts count toward ``maxRestarts``.
    public var window: Duration
    /// The delay before each restart, by its number within the window.
    public var backoff: Backoff

    /// A policy of `mode`, allowing `maxRestarts` restarts within `window`, each after
    /// `backoff`'s delay. The static members (``never``, ``onFailure(maxRestarts:within:backoff:)``,
    /// ``always(maxRestarts:within:backoff:)``) read better at the call site.
    public init(mode: Mode, maxRestarts: Int = 5, within window: Duration = .seconds(60), backoff: Backoff = .exponential()) {
        self.mode = mode
        self.maxRestarts = maxRestarts
        self.window = window
        self.backoff = backoff
    }

    /// Dead stays dead: the default of `SpawnOptions`. After a crash the process is
    /// ``ProcessStatus/crashed`` for good and every later call fails at once with
    /// ``ProcessError/Code/processExited``, naming the same termination.
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
///
/// Used by restart policies and by supervisors. Delays follow a ``Curve``, never exceed
/// ``cap``, and may be spread by ``jitter``.
public struct Backoff: Sendable, Hashable {
    /// How the delay grows with the attempt number *n*.
    public enum Curve: Sendable, Hashable {
        /// The same delay every time.
        case constant(Duration)
        /// `initial + n * step`
        case linear(initial: Duration, step: Duration)
        /// `initial * factor^n`
        case exponential(initial: Duration, factor: Double)
    }

    /// How the delay grows with the attempt.
    public var curve: Curve
    /// No delay exceeds this (before jitter).
    public var cap: Duration
    /// Spreads each delay uniformly over ±`jitter` of itself (0...1), so processes that crashed
    /// together do not restart in lock step.
    public var jitter: Double

    /// A backoff along `curve`, capped at `cap`, jittered by `jitter` (clamped to 0...1).
    public init(curve: Curve, cap: Duration = .seconds(30), jitter: Double = 0) {
        self.curve = curve
        self.cap = cap
        self.jitter = min(max(jitter, 0), 1)
    }

    /// No delay: restart at once.
    public static let none = Backoff(curve: .constant(.zero))

    /// `delay` before every attempt, optionally jittered.
    public static func constant(_ delay: Duration, jitter: Double = 0) -> Backoff {
        Backoff(curve: .constant(delay), cap: delay, jitter: jitter)
    }

    /// `initial + n * step` before attempt *n*, at most `cap`.
    public static func linear(initial: Duration = .milliseconds(100), step: Duration = .milliseconds(100), cap: Duration = .seconds(30), jitter: Double = 0) -> Backoff {
        Backoff(curve: .linear(initial: initial, step: step), cap: cap, jitter: jitter)
    }

    /// `initial * factor^n` before attempt *n*, at most `cap`: 100 ms, 200 ms, 400 ms, ...
    /// by default.
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

    /// The delay before attempt `attempt`, jittered with the system's random generator.
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
