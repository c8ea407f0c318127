import Testing
import TitanPolicies

@Suite("Result cache")
struct ResultCacheTests {
    typealias Cache = ResultCache<String, Int, Instant>

    @Test func countsHitsAndMisses() {
        var cache = Cache(maxEntries: 10, ttl: .seconds(60))
        #expect(cache.value(forKey: "a", now: at(0)) == nil)
        cache.insert(1, forKey: "a", now: at(0))
        #expect(cache.value(forKey: "a", now: at(1)) == 1)
        #expect(cache.value(forKey: "a", now: at(2)) == 1)
        #expect(cache.statistics.hits == 2)
        #expect(cache.statistics.misses == 1)
        #expect(cache.statistics.hitRatio == 2.0 / 3.0)
    }

    @Test func anEntryIsNotServedAfterItsTimeToLive() {
        var cache = Cache(maxEntries: 10, ttl: .seconds(1))
        cache.insert(1, forKey: "a", now: at(0))
        #expect(cache.value(forKey: "a", now: at(999)) == 1)
        #expect(cache.value(forKey: "a", now: at(1_000)) == nil)
        #expect(cache.statistics.expirations == 1)
        #expect(cache.count == 0)
    }

    @Test func theLeastRecentlyUsedEntryGoesFirstWhenFull() {
        var cache = Cache(maxEntries: 2, ttl: .seconds(60))
        cache.insert(1, forKey: "a", now: at(0))
        cache.insert(2, forKey: "b", now: at(1))
        _ = cache.value(forKey: "a", now: at(2))
        cache.insert(3, forKey: "c", now: at(3))
        #expect(cache.value(forKey: "b", now: at(4)) == nil)
        #expect(cache.value(forKey: "a", now: at(4)) == 1)
        #expect(cache.value(forKey: "c", now: at(4)) == 3)
        #expect(cache.statistics.evictions == 1)
    }

    @Test func replacingAValueDoesNotEvictAndRenewsItsTime() {
        var cache = Cache(maxEntries: 1, ttl: .seconds(1))
        cache.insert(1, forKey: "a", now: at(0))
        cache.insert(2, forKey: "a", now: at(900))
        #expect(cache.value(forKey: "a", now: at(1_500)) == 2)
        #expect(cache.statistics.evictions == 0)
    }

    @Test func evictRemovesOneKey() {
        var cache = Cache(maxEntries: 10, ttl: .seconds(60))
        cache.insert(1, forKey: "a", now: at(0))
        cache.insert(2, forKey: "b", now: at(0))
        let first = cache.evict("a")
        let second = cache.evict("a")
        #expect(first && !second)
        #expect(cache.value(forKey: "a", now: at(1)) == nil)
        #expect(cache.value(forKey: "b", now: at(1)) == 2)
        #expect(cache.statistics.invalidations == 1)
    }

    @Test func invalidatingATagRemovesEveryEntryCarryingIt() {
        var cache = Cache(maxEntries: 10, ttl: .seconds(60))
        cache.insert(1, forKey: "u1", tags: ["org:7", "users"], now: at(0))
        cache.insert(2, forKey: "u2", tags: ["org:7"], now: at(0))
        cache.insert(3, forKey: "u3", tags: ["org:8"], now: at(0))
        #expect(cache.invalidate(tag: "org:7") == 2)
        #expect(cache.invalidate(tag: "users") == 0)
        #expect(cache.count == 1)
        // A replaced entry keeps only its new tags.
        cache.insert(4, forKey: "u3", tags: ["org:9"], now: at(1))
        #expect(cache.invalidate(tag: "org:8") == 0)
        #expect(cache.invalidate(tag: "org:9") == 1)
    }

    @Test func invalidatingAPatternRemovesTheMatchingKeys() {
        var cache = Cache(maxEntries: 10, ttl: .seconds(60))
        for key in ["user:1", "user:22", "admin:1", "user"] { cache.insert(0, forKey: key, now: at(0)) }
        #expect(cache.invalidate(matching: "user:*") == 2)
        #expect(cache.invalidate(where: { $0.hasPrefix("admin") }) == 1)
        #expect(cache.removeAll() == 1)
        #expect(cache.statistics.invalidations == 4)
    }

    @Test func purgingDropsOnlyExpiredEntries() {
        var cache = Cache(maxEntries: 10, ttl: .seconds(1))
        cache.insert(1, forKey: "old", now: at(0))
        cache.insert(2, forKey: "new", now: at(800))
        #expect(cache.purgeExpired(now: at(1_200)) == 1)
        #expect(cache.count == 1)
        #expect(cache.statistics.count == 1)
    }

    @Test func globPatterns() {
        #expect(GlobPattern("user:*").matches("user:"))
        #expect(GlobPattern("user:*").matches("user:42"))
        #expect(!GlobPattern("user:*").matches("users:42"))
        #expect(GlobPattern("*:?2").matches("user:42"))
        #expect(!GlobPattern("*:?2").matches("user:4"))
        #expect(GlobPattern("a*b*c").matches("aXbYbZc"))
        #expect(!GlobPattern("a*b*c").matches("aXbYbZ"))
        #expect(GlobPattern("exact").matches("exact"))
        #expect(!GlobPattern("exact").matches("exactly"))
        #expect(GlobPattern("**").matches(""))
    }
}
