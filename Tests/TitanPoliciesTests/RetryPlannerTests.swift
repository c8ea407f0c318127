import Testing
import TitanPolicies

/// Deterministic random numbers for jitter.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Suite("Retry")
struct RetryPlannerTests {
    var generator = SeededGenerator(state: 42)

    @Test mutating func retriesWithTheBackoffUntilTheAttemptsRunOut() {
        let planner = RetryPlanner(policy: RetryPolicy(3, backoff: .exponential(initial: .milliseconds(100), cap: .seconds(1))), isIdempotent: true)
        #expect(planner.decide(afterAttempt: 1, failure: .timedOut, using: &generator) == .retry(after: .milliseconds(100)))
        #expect(planner.decide(afterAttempt: 2, failure: .timedOut, using: &generator) == .retry(after: .milliseconds(200)))
        #expect(planner.decide(afterAttempt: 3, failure: .timedOut, using: &generator) == .stop(.attemptsExhausted))
    }

    @Test mutating func neverRepeatsACallThatMayHaveRunUnlessIdempotent() {
        let planner = RetryPlanner(policy: RetryPolicy(5), isIdempotent: false)
        for kind in [FailureKind.timedOut, .processExited, .connectionLost] {
            #expect(planner.decide(afterAttempt: 1, failure: kind, using: &generator) == .stop(.mayHaveExecuted))
        }
        for kind in [FailureKind.notExecuted, .rateLimited, .circuitOpen] {
            #expect(planner.decide(afterAttempt: 1, failure: kind, using: &generator) != .stop(.mayHaveExecuted))
        }
    }

    @Test mutating func onlyTheListedFailuresAreRetried() {
        let planner = RetryPlanner(policy: RetryPolicy(3, on: [.notExecuted]), isIdempotent: true)
        #expect(planner.decide(afterAttempt: 1, failure: .methodError, using: &generator) == .stop(.notRetryable))
        #expect(planner.decide(afterAttempt: 1, failure: .timedOut, using: &generator) == .stop(.notRetryable))
        #expect(planner.decide(afterAttempt: 1, failure: .notExecuted, using: &generator).isRetry)
        #expect(!FailureKind.transient.contains(.methodError))
    }

    @Test mutating func waitsAtLeastAsLongAsTheFailureAsked() {
        let planner = RetryPlanner(policy: RetryPolicy(3, backoff: .constant(.milliseconds(10))), isIdempotent: false)
        #expect(planner.decide(afterAttempt: 1, failure: .rateLimited, retryAfter: .milliseconds(300), using: &generator) == .retry(after: .milliseconds(300)))
    }

    @Test mutating func stopsWhenTheWaitWouldPassTheDeadline() {
        let planner = RetryPlanner(policy: RetryPolicy(3, backoff: .constant(.seconds(1))), isIdempotent: true)
        #expect(planner.decide(afterAttempt: 1, failure: .timedOut, remaining: .milliseconds(500), using: &generator) == .stop(.deadlineExceeded))
        #expect(planner.decide(afterAttempt: 1, failure: .timedOut, remaining: .seconds(2), using: &generator).isRetry)
    }
}

extension RetryPlanner.Decision {
    var isRetry: Bool {
        if case .retry = self { true } else { false }
    }
}
