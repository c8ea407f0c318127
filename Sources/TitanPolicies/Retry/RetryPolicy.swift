import TitanCore

/// How a failed call is tried again: the configuration of `@Retry` and of ``RetryPlanner``.
///
/// ```swift
/// @Retry(3, backoff: .exponential(initial: .milliseconds(50), cap: .seconds(1)), on: [.notExecuted, .timedOut])
/// @Idempotent
/// distributed func charge(_ order: Order) -> Receipt
/// ```
///
/// A call that may have run in the callee is retried only if the method is `@Idempotent`;
/// a call that provably never ran (not sent, rate limited, circuit open) may always be.
public struct RetryPolicy: Codable, Sendable, Hashable {
    /// Attempts in all, the first included (so 3 means up to 2 retries).
    public var maxAttempts: Int
    /// The wait before each retry.
    public var backoff: Backoff
    /// The failures worth another attempt.
    public var retryOn: Set<FailureKind>

    /// Tries up to `maxAttempts` times in all, waiting `backoff` between attempts, after the
    /// failures in `retryOn`.
    public init(_ maxAttempts: Int = 3, backoff: Backoff = .exponential(), on retryOn: Set<FailureKind> = FailureKind.transient) {
        self.maxAttempts = max(maxAttempts, 1)
        self.backoff = backoff
        self.retryOn = retryOn
    }
}
