import Testing
import TitanPolicies

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    typealias Breaker = CircuitBreaker<Instant>

    private func failing(_ breaker: inout Breaker, times: Int, from start: Int = 0) {
        for i in 0..<times {
            #expect(breaker.acquire(now: at(start + i)) == .allowed)
            breaker.record(.failure, now: at(start + i))
        }
    }

    @Test func opensAfterConsecutiveFailuresAndFailsFast() {
        var breaker = Breaker(policy: CircuitBreakerPolicy(.consecutiveFailures(3), resetAfter: .seconds(10)))
        failing(&breaker, times: 3)
        #expect(breaker.state == .open(until: at(2) + .seconds(10)))
        #expect(breaker.acquire(now: at(2_002)) == .rejected(retryAfter: .milliseconds(8_000)))
    }

    @Test func aSuccessResetsTheConsecutiveCount() {
        var breaker = Breaker(policy: CircuitBreakerPolicy(.consecutiveFailures(3)))
        failing(&breaker, times: 2)
        breaker.record(.success, now: at(5))
        failing(&breaker, times: 2, from: 6)
        #expect(breaker.state == .closed)
    }

    @Test func halfOpensAfterTheResetTimeAndLetsOneProbeThrough() {
        var breaker = Breaker(policy: CircuitBreakerPolicy(.consecutiveFailures(1), resetAfter: .seconds(1)))
        failing(&breaker, times: 1)
        #expect(breaker.acquire(now: at(1_000)) == .probe)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.acquire(now: at(1_001)) == .rejected(retryAfter: .zero))
        breaker.record(.success, probe: true, now: at(1_010))
        #expect(breaker.state == .closed)
        #expect(breaker.acquire(now: at(1_011)) == .allowed)
    }

    @Test func aFailedProbeOpensTheCircuitAgain() {
        var breaker = Breaker(policy: CircuitBreakerPolicy(.consecutiveFailures(1), resetAfter: .seconds(1)))
        failing(&breaker, times: 1)
        #expect(breaker.acquire(now: at(1_000)) == .probe)
        breaker.record(.failure, probe: true, now: at(1_100))
        #expect(breaker.state == .open(until: at(2_100)))
    }

    @Test func closingCanRequireSeveralSuccessfulProbes() {
        var breaker = Breaker(policy: CircuitBreakerPolicy(.consecutiveFailures(1), resetAfter: .seconds(1), probes: 2))
        failing(&breaker, times: 1)
        #expect(breaker.acquire(now: at(1_000)) == .probe)
        breaker.record(.success, probe: true, now: at(1_001))
        #expect(breaker.state == .halfOpen)
        #expect(breaker.acquire(now: at(1_002)) == .probe)
        breaker.record(.success, probe: true, now: at(1_003))
        #expect(breaker.state == .closed)
    }

    @Test func anAbandonedProbeFreesTheSlotWithoutAVerdict() {
        var breaker = Breaker(policy: CircuitBreakerPolicy(.consecutiveFailures(1), resetAfter: .seconds(1)))
        failing(&breaker, times: 1)
        #expect(breaker.acquire(now: at(1_000)) == .probe)
        breaker.record(.abandoned, probe: true, now: at(1_001))
        #expect(breaker.state == .halfOpen)
        #expect(breaker.acquire(now: at(1_002)) == .probe)
    }

    @Test func outcomesOfCallsFromAnEarlierStateAreIgnored() {
        var breaker = Breaker(policy: CircuitBreakerPolicy(.consecutiveFailures(1), resetAfter: .seconds(1)))
        failing(&breaker, times: 1)
        // A call admitted while closed reports late, while the circuit is open or half-open.
        breaker.record(.success, now: at(10))
        #expect(breaker.state == .open(until: at(1_000)))
        #expect(breaker.acquire(now: at(1_000)) == .probe)
        breaker.record(.success, now: at(1_001))
        #expect(breaker.state == .halfOpen)
        // A probe outcome arriving once closed is ignored too.
        breaker.record(.success, probe: true, now: at(1_002))
        breaker.record(.failure, probe: true, now: at(1_003))
        #expect(breaker.state == .closed)
    }

    @Test func errorRateOpensOnlyOverTheMinimumVolume() {
        let policy = CircuitBreakerPolicy(.errorRate(0.5, minimumCalls: 4, within: .seconds(10)), resetAfter: .seconds(5))
        var breaker = Breaker(policy: policy)
        for (i, failed) in [true, true, true].enumerated() {
            _ = breaker.acquire(now: at(i))
            breaker.record(failed ? .failure : .success, now: at(i))
        }
        #expect(breaker.state == .closed)   // 3 of 3 failed, but fewer than 4 calls
        _ = breaker.acquire(now: at(3))
        breaker.record(.success, now: at(3))
        #expect(breaker.state == .open(until: at(3) + .seconds(5)))   // 3 of 4 ≥ 50%
    }

    @Test func errorRateForgetsCallsOlderThanTheWindow() {
        let policy = CircuitBreakerPolicy(.errorRate(0.5, minimumCalls: 2, within: .seconds(1)))
        var breaker = Breaker(policy: policy)
        breaker.record(.failure, now: at(0))
        breaker.record(.success, now: at(5_000))
        breaker.record(.success, now: at(5_001))
        breaker.record(.failure, now: at(5_002))
        #expect(breaker.state == .closed)   // 1 of 3 in the window
    }

    @Test func everyStateChangeIsReportedOnce() {
        var breaker = Breaker(policy: CircuitBreakerPolicy(.consecutiveFailures(1), resetAfter: .seconds(1)))
        failing(&breaker, times: 1)
        _ = breaker.acquire(now: at(1_000))
        breaker.record(.success, probe: true, now: at(1_001))
        let transitions = breaker.takeTransitions()
        #expect(transitions.map(\.to) == [.open(until: at(1_000)), .halfOpen, .closed])
        #expect(transitions.map(\.at) == [at(0), at(1_000), at(1_001)])
        #expect(breaker.takeTransitions().isEmpty)
    }
}
