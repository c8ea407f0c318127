import Testing
import TitanPolicies

typealias Instant = ContinuousClock.Instant

/// An arbitrary origin; every test moves time by hand from here.
let t0 = ContinuousClock.now

func at(_ milliseconds: Int) -> Instant { t0 + .milliseconds(milliseconds) }

@Suite("Rate limiters")
struct RateLimiterTests {
    @Test func fixedWindowAcceptsTheLimitThenRefusesUntilTheNextWindow() {
        var counter = FixedWindowCounter<Instant>(limit: 3, window: .seconds(1))
        #expect(counter.acquire(now: at(0)) == .allowed(remaining: 2))
        #expect(counter.acquire(now: at(100)) == .allowed(remaining: 1))
        #expect(counter.acquire(now: at(200)) == .allowed(remaining: 0))
        #expect(counter.acquire(now: at(400)) == .limited(retryAfter: .milliseconds(600)))
        #expect(counter.acquire(now: at(1_000)) == .allowed(remaining: 2))
    }

    @Test func fixedWindowsStayAlignedAfterQuietPeriods() {
        var counter = FixedWindowCounter<Instant>(limit: 1, window: .seconds(1))
        #expect(counter.acquire(now: at(0)).isAllowed)
        #expect(counter.acquire(now: at(3_500)).isAllowed)
        // The window is [3 s, 4 s), not [3.5 s, 4.5 s).
        #expect(counter.acquire(now: at(3_600)) == .limited(retryAfter: .milliseconds(400)))
    }

    @Test func fixedWindowLetsTwiceTheLimitThroughAroundABoundary() {
        var counter = FixedWindowCounter<Instant>(limit: 2, window: .seconds(1))
        _ = counter.acquire(now: at(0))   // windows start at the first call: [0, 1 s), [1 s, 2 s)
        let accepted = [950, 1_000, 1_050].filter { counter.acquire(now: at($0)).isAllowed }
        #expect(accepted.count == 3)   // three calls within 100 ms under a limit of 2 per second
    }

    @Test func slidingWindowHoldsTheLimitAtEveryInstant() {
        var log = SlidingWindowLog<Instant>(limit: 2, window: .seconds(1))
        #expect(log.acquire(now: at(900)).isAllowed)
        #expect(log.acquire(now: at(950)).isAllowed)
        // Unlike the fixed window, the boundary at 1 s changes nothing.
        #expect(log.acquire(now: at(1_000)) == .limited(retryAfter: .milliseconds(900)))
        #expect(log.acquire(now: at(1_899)) == .limited(retryAfter: .milliseconds(1)))
        #expect(log.acquire(now: at(1_900)) == .allowed(remaining: 0))
        #expect(log.count(at: at(1_900)) == 2)
        #expect(log.count(at: at(2_950)) == 0)
    }

    @Test func slidingWindowRemainingCountsOnlyCallsStillInTheWindow() {
        var log = SlidingWindowLog<Instant>(limit: 3, window: .seconds(1))
        _ = log.acquire(now: at(0))
        _ = log.acquire(now: at(500))
        #expect(log.acquire(now: at(1_200)) == .allowed(remaining: 1))
    }

    @Test func tokenBucketAllowsABurstThenRefillsAtTheRate() {
        var bucket = TokenBucket<Instant>(limit: 10, window: .seconds(1), capacity: 3)
        for expected in [2, 1, 0] {
            #expect(bucket.acquire(now: at(0)) == .allowed(remaining: expected))
        }
        // One token every 100 ms.
        #expect(bucket.acquire(now: at(40)) == .limited(retryAfter: .milliseconds(60)))
        #expect(bucket.acquire(now: at(100)).isAllowed)
        #expect(bucket.available(at: at(10_000)) == 3)
    }

    @Test func aZeroLimitRefusesEverything() {
        var bucket = TokenBucket<Instant>(limit: 0, window: .seconds(1))
        _ = bucket.acquire(now: at(0))
        #expect(bucket.acquire(now: at(1)) == .limited(retryAfter: .seconds(1)))
        var log = SlidingWindowLog<Instant>(limit: 0, window: .seconds(1))
        #expect(!log.acquire(now: at(0)).isAllowed)
        var counter = FixedWindowCounter<Instant>(limit: 0, window: .seconds(1))
        #expect(!counter.acquire(now: at(0)).isAllowed)
    }

    @Test(arguments: [RateLimitPolicy.Strategy.fixedWindow, .slidingWindow, .tokenBucket])
    func everyStrategyRejectsTheCallAfterTheLimitAndAcceptsItAfterTheWindow(_ strategy: RateLimitPolicy.Strategy) {
        var limiter = RateLimiter<Instant>(policy: RateLimitPolicy(5, per: .seconds(1), strategy: strategy))
        for _ in 0..<5 { #expect(limiter.acquire(now: at(0)).isAllowed) }
        guard case .limited(let retryAfter) = limiter.acquire(now: at(0)) else {
            Issue.record("the sixth call in the window was accepted")
            return
        }
        #expect(retryAfter > .zero && retryAfter <= .seconds(1))
        #expect(limiter.acquire(now: at(0) + retryAfter).isAllowed)
    }

    @Test func eachKeyHasItsOwnLimit() {
        var limiter = KeyedRateLimiter<String, Instant>(policy: RateLimitPolicy(1, per: .seconds(1), key: "user"))
        #expect(limiter.acquire(key: "ada", now: at(0)).isAllowed)
        #expect(!limiter.acquire(key: "ada", now: at(10)).isAllowed)
        #expect(limiter.acquire(key: "bob", now: at(10)).isAllowed)
        #expect(limiter.trackedKeys == 2)
    }

    @Test func theLeastRecentlySeenKeyIsForgottenPastMaxKeys() {
        var limiter = KeyedRateLimiter<String, Instant>(policy: RateLimitPolicy(1, per: .seconds(60), maxKeys: 2))
        _ = limiter.acquire(key: "a", now: at(0))
        _ = limiter.acquire(key: "b", now: at(1))
        _ = limiter.acquire(key: "a", now: at(2))     // a is now the most recent
        _ = limiter.acquire(key: "c", now: at(3))     // forgets b
        #expect(limiter.trackedKeys == 2)
        #expect(!limiter.acquire(key: "a", now: at(4)).isAllowed)
        #expect(limiter.acquire(key: "b", now: at(5)).isAllowed)   // b starts afresh
    }
}
