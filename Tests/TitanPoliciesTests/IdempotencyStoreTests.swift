import Testing
import TitanPolicies

@Suite("Idempotency store")
struct IdempotencyStoreTests {
    typealias Store = IdempotencyStore<String, String, Int, Instant>

    @Test func theFirstCallRunsConcurrentDuplicatesWaitAndRepeatsGetTheStoredResult() {
        var store = Store(ttl: .seconds(60), maxEntries: 10)
        #expect(store.begin("k", waiter: 1, now: at(0)).isRun)
        for waiter in 2...10 { #expect(store.begin("k", waiter: waiter, now: at(1)).isWait) }
        #expect(store.complete("k", with: "done", now: at(2)) == Array(2...10))
        #expect(store.begin("k", waiter: 11, now: at(3)).completedValue == "done")
        #expect(store.runningCount == 0)
        #expect(store.storedCount == 1)
    }

    @Test func otherKeysRunIndependently() {
        var store = Store(ttl: .seconds(60), maxEntries: 10)
        #expect(store.begin("a", waiter: 1, now: at(0)).isRun)
        #expect(store.begin("b", waiter: 2, now: at(0)).isRun)
    }

    @Test func aStoredResultExpiresAfterItsTimeToLive() {
        var store = Store(ttl: .seconds(1), maxEntries: 10)
        _ = store.begin("k", waiter: 1, now: at(0))
        _ = store.complete("k", with: "done", now: at(0))
        #expect(store.begin("k", waiter: 2, now: at(999)).completedValue == "done")
        #expect(store.begin("k", waiter: 3, now: at(1_000)).isRun)
    }

    @Test func whenTheRunnerGivesUpTheFirstWaiterRunsInstead() {
        var store = Store(ttl: .seconds(60), maxEntries: 10)
        _ = store.begin("k", waiter: 1, now: at(0))
        _ = store.begin("k", waiter: 2, now: at(0))
        _ = store.begin("k", waiter: 3, now: at(0))
        #expect(store.abandon("k").runner == 2)
        #expect(store.complete("k", with: "second try", now: at(1)) == [3])
        #expect(store.abandon("k").runner == nil)
    }

    @Test func abandoningWithNobodyWaitingLetsTheNextCallRun() {
        var store = Store(ttl: .seconds(60), maxEntries: 10)
        _ = store.begin("k", waiter: 1, now: at(0))
        #expect(store.abandon("k").runner == nil)
        #expect(store.begin("k", waiter: 2, now: at(1)).isRun)
    }

    @Test func cancelledWaitersCanBeRemoved() {
        var store = Store(ttl: .seconds(60), maxEntries: 10)
        _ = store.begin("k", waiter: 1, now: at(0))
        _ = store.begin("k", waiter: 2, now: at(0))
        _ = store.begin("k", waiter: 3, now: at(0))
        #expect(store.removeWaiters(of: "k", where: { $0 == 2 }) == [2])
        #expect(store.complete("k", with: "x", now: at(1)) == [3])
    }

    @Test func theOldestResultIsDroppedPastMaxEntriesAndForgetRunsAgain() {
        var store = Store(ttl: .seconds(60), maxEntries: 2)
        for key in ["a", "b", "c"] {
            _ = store.begin(key, waiter: 0, now: at(0))
            _ = store.complete(key, with: key, now: at(0))
        }
        #expect(store.storedCount == 2)
        #expect(store.begin("a", waiter: 0, now: at(1)).isRun)
        #expect(store.begin("c", waiter: 0, now: at(1)).completedValue == "c")
        store.forget("c")
        #expect(store.begin("c", waiter: 0, now: at(2)).isRun)
    }
}

extension IdempotencyStore.Admission {
    var isRun: Bool {
        if case .run = self { true } else { false }
    }

    var isWait: Bool {
        if case .wait = self { true } else { false }
    }

    var completedValue: Value? {
        if case .completed(let value) = self { value } else { nil }
    }
}
