import TitanPM

/// How often a stage (or a compensation) is attempted before it counts as failed, and how long
/// to wait between attempts.
///
/// ```swift
/// plan.stage("payment", retry: .attempts(3, backoff: .exponential(initial: .milliseconds(50)))) { ... }
/// ```
///
/// A timeout (see the `timeout:` of the stage builders) bounds each attempt; a timed-out attempt
/// fails with ``WorkflowError/Code/stageTimedOut`` and is retried like any other failure.
/// Cancellation is never retried.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first one included; at least 1.
    public var maxAttempts: Int
    /// The delay before each retry; attempt *n* (counting retries from 0) waits
    /// `backoff.delay(attempt: n)`.
    public var backoff: Backoff

    /// A policy of `maxAttempts` attempts (at least 1) with `backoff` between them.
    public init(maxAttempts: Int, backoff: Backoff = .exponential(initial: .milliseconds(100), factor: 2, cap: .seconds(30))) {
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
    }

    /// One attempt, no retry.
    public static let none = RetryPolicy(maxAttempts: 1, backoff: .none)

    /// `count` attempts in all with `backoff` between them.
    public static func attempts(_ count: Int, backoff: Backoff = .exponential(initial: .milliseconds(100), factor: 2, cap: .seconds(30))) -> RetryPolicy {
        RetryPolicy(maxAttempts: count, backoff: backoff)
    }

    /// The delay before retry number `retry` (0 for the wait after the first failed attempt).
    func delay(beforeRetry retry: Int) -> Duration {
        backoff.delay(attempt: retry)
    }
}
