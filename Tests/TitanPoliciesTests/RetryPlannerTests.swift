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

    @Test func backoffCurvesGrowAndStopAtTheCap() {
        #expect((0..<4).map { RetryBackoff.constant(.milliseconds(50)).baseDelay(retry: $0) } == Array(repeating: .milliseconds(50), count: 4))
        let linear = RetryBackoff.linear(initial: .milliseconds(100), step: .milliseconds(50), cap: .milliseconds(220))
        #expect((0..<4).map(linear.baseDelay) == [.milliseconds(100), .milliseconds(150), .milliseconds(200), .milliseconds(220)])
        let exponential = RetryBackoff.exponential(initial: .milliseconds(10), factor: 3, cap: .milliseconds(200))
        #expect((0..<5).map(exponential.baseDelay) == [.milliseconds(10), .milliseconds(30), .milliseconds(90), .milliseconds(200), .milliseconds(200)])
        #expect(RetryBackoff.exponential().baseDelay(retry: 10_000) == .seconds(30))
        #expect(RetryBackoff.immediate.baseDelay(retry: 3) == .zero)
    }

    @Test mutating func jitterSpreadsDelaysWithinItsBounds() {
        let backoff = RetryBackoff.constant(.milliseconds(100), jitter: 0.2)
        let delays = (0..<200).map { _ in backoff.delay(retry: 0, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .milliseconds(80) && $0 <= .milliseconds(120) })
        #expect(Set(delays).count > 100)
    }
}

extension RetryPlanner.Decision {
    var isRetry: Bool {
        if case .retry = self { true } else { false }
    }
}
