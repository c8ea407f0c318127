/// A bounded cache with a time to live: least recently used entries go first when it is
/// full, and an entry older than `ttl` is never served. Entries can be evicted by key, or
/// invalidated by tag or by a predicate on keys (a ``GlobPattern`` for `String` keys).
///
/// A pure state machine: give it the time of each operation.
///
/// ```swift
/// var cache = ResultCache<String, [UInt8], ContinuousClock.Instant>(maxEntries: 1_000, ttl: .seconds(60))
/// if let bytes = cache.value(forKey: "user:42", now: .now) { return bytes }
/// cache.insert(reply, forKey: "user:42", tags: ["org:7"], now: .now)
/// cache.invalidate(tag: "org:7")
/// ```
public struct ResultCache<Key: Hashable & Sendable, Value: Sendable, Instant: InstantProtocol & Sendable>: Sendable
where Instant.Duration == Duration {
    private struct Entry: Sendable {
        var value: Value
        var expires: Instant
        var tags: Set<String>
    }

    /// Entries kept at most.
    public let maxEntries: Int
    /// How long an entry is served after it was stored.
    public let ttl: Duration
    /// Hits, misses, evictions, expirations and invalidations so far.
    public private(set) var statistics = CacheStatistics()
    private var entries = LRUTable<Key, Entry>()
    private var tagged: [String: Set<Key>] = [:]

    /// An empty cache of at most `maxEntries` entries, each served for `ttl`.
    public init(maxEntries: Int, ttl: Duration) {
        self.maxEntries = max(maxEntries, 1)
        self.ttl = ttl
    }

    /// A cache configured by `policy`.
    public init(policy: CachePolicy) {
        self.init(maxEntries: policy.maxEntries, ttl: policy.ttl)
    }

    /// The number of entries held (some may have expired but not been looked at yet).
    public var count: Int { entries.count }

    /// The live value for `key` at `now`, marking it recently used; counts a hit or a miss.
    public mutating func value(forKey key: Key, now: Instant) -> Value? {
        guard let entry = entries.use(key) else {
            statistics.misses += 1
            return nil
        }
        guard now < entry.expires else {
            drop(key)
            statistics.expirations += 1
            statistics.misses += 1
            return nil
        }
        statistics.hits += 1
        return entry.value
    }

    /// Stores `value` for `key` at `now` with `tags`, replacing an older value; drops the
    /// least recently used entry if the cache is full.
    public mutating func insert(_ value: Value, forKey key: Key, tags: Set<String> = [], now: Instant) {
        if entries.peek(key) != nil {
            drop(key)
        } else if entries.count >= maxEntries, let oldest = entries.leastRecent?.key {
            drop(oldest)
            statistics.evictions += 1
        }
        entries.set(key, Entry(value: value, expires: now.advanced(by: ttl), tags: tags))
        for tag in tags { tagged[tag, default: []].insert(key) }
        statistics.count = entries.count
    }

    /// Removes the entry for `key`; returns whether there was one.
    @discardableResult
    public mutating func evict(_ key: Key) -> Bool {
        guard entries.peek(key) != nil else { return false }
        drop(key)
        statistics.invalidations += 1
        return true
    }

    /// Removes every entry carrying `tag`; returns how many.
    @discardableResult
    public mutating func invalidate(tag: String) -> Int {
        invalidate(keys: Array(tagged[tag] ?? []))
    }

    /// Removes every entry carrying `tag` whose key satisfies `predicate`; returns how many.
    @discardableResult
    public mutating func invalidate(tag: String, where predicate: (Key) -> Bool) -> Int {
        invalidate(keys: (tagged[tag] ?? []).filter(predicate))
    }

    /// Removes every entry whose key satisfies `predicate`; returns how many.
    @discardableResult
    public mutating func invalidate(where predicate: (Key) -> Bool) -> Int {
        invalidate(keys: entries.keys.filter(predicate))
    }

    /// Removes every entry; returns how many.
    @discardableResult
    public mutating func removeAll() -> Int {
        invalidate(keys: entries.keys)
    }

    /// Drops the entries that have expired at `now`; returns how many. Lookups do this for
    /// the entries they touch, so calling it only bounds the memory held by stale entries.
    @discardableResult
    public mutating func purgeExpired(now: Instant) -> Int {
        let stale = entries.keys.filter { entries.peek($0).map { now >= $0.expires } ?? false }
        for key in stale { drop(key) }
        statistics.expirations += stale.count
        return stale.count
    }

    private mutating func invalidate(keys: [Key]) -> Int {
        for key in keys { drop(key) }
        statistics.invalidations += keys.count
        return keys.count
    }

    private mutating func drop(_ key: Key) {
        guard let entry = entries.remove(key) else { return }
        for tag in entry.tags {
            tagged[tag]?.remove(key)
            if tagged[tag]?.isEmpty == true { tagged[tag] = nil }
        }
        statistics.count = entries.count
    }
}

extension ResultCache where Key == String {
    /// Removes every entry whose key matches `pattern` (`user:*`); returns how many.
    @discardableResult
    public mutating func invalidate(matching pattern: GlobPattern) -> Int {
        invalidate(where: pattern.matches)
    }
}
