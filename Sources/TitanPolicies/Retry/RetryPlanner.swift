/// Decides, after each failed attempt of a call, whether to try again and after how long.
///
/// Pure: it keeps no state between calls and takes everything it needs as arguments, so the
/// caller-side runtime owns the loop (and its clock).
///
/// ```swift
/// let planner = RetryPlanner(policy: RetryPolicy(3, backoff: .constant(.milliseconds(10))), isIdempotent: false)
/// switch planner.decide(afterAttempt: 1, failure: .rateLimited) {
/// case .retry(let delay): try await clock.sleep(for: delay)   // then attempt 2
/// case .stop(let reason): throw lastError                    // reason says why
/// }
/// ```
public struct RetryPlanner: Sendable, Hashable {
    /// Why no further attempt is made.
    public enum StopReason: Sendable, Hashable {
        /// `maxAttempts` attempts were made.
        case attemptsExhausted
        /// The failure is not one the policy retries.
        case notRetryable
        /// The call may have run in the callee, and the method is not idempotent: running it
        /// again could do its work twice.
        case mayHaveExecuted
        /// The wait would go past the call's deadline.
        case deadlineExceeded
    }

    /// What to do after a failed attempt.
    public enum Decision: Sendable, Hashable {
        /// Attempt again after this delay.
        case retry(after: Duration)
        /// Give up and report the last failure.
        case stop(StopReason)
    }

    /// The method's retry policy.
    public var policy: RetryPolicy
    /// Whether the method is `@Idempotent`, so running it twice is harmless.
    public var isIdempotent: Bool

    /// A planner for a method with `policy`.
    public init(policy: RetryPolicy, isIdempotent: Bool) {
        self.policy = policy
        self.isIdempotent = isIdempotent
    }

    /// The decision after attempt number `attempt` (1 for the first) failed with `failure`.
    /// `retryAfter` is the wait the failure asked for (a rate limit's or open circuit's
    /// ``PolicyError/retryAfter``), which the delay never undercuts; `remaining` is the time
    /// left before the call's deadline, if it has one.
    public func decide(
        afterAttempt attempt: Int,
        failure: FailureKind,
        retryAfter: Duration? = nil,
        remaining: Duration? = nil,
        using generator: inout some RandomNumberGenerator
    ) -> Decision {
        guard policy.retryOn.contains(failure) else { return .stop(.notRetryable) }
        guard failure.provesNotExecuted || isIdempotent else { return .stop(.mayHaveExecuted) }
        guard attempt < policy.maxAttempts else { return .stop(.attemptsExhausted) }
        let delay = max(policy.backoff.delay(attempt: attempt - 1, using: &generator), retryAfter ?? .zero)
        if let remaining, delay >= remaining { return .stop(.deadlineExceeded) }
        return .retry(after: delay)
    }

    /// ``decide(afterAttempt:failure:retryAfter:remaining:using:)`` with the system's random numbers.
    public func decide(afterAttempt attempt: Int, failure: FailureKind, retryAfter: Duration? = nil, remaining: Duration? = nil) -> Decision {
        var generator = SystemRandomNumberGenerator()
        return decide(afterAttempt: attempt, failure: failure, retryAfter: retryAfter, remaining: remaining, using: &generator)
    }
}
