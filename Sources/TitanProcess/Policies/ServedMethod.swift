import Synchronization
import TitanCore
import TitanPolicies

/// The serving side's state for one method's policies in the process that hosts it: its rate
/// limiter, its result cache and the replies it remembers by idempotency key.
final class ServedMethod: Sendable {
    private enum Limiter {
        case shared(RateLimiter<ClockInstant>)
        case keyed(KeyedRateLimiter<String, ClockInstant>)
    }

    private struct State {
        var limiter: Limiter?
        var cache: ResultCache<String, [UInt8], ClockInstant>?
    }

    /// The method's key, `add(_:_:)`.
    let key: String
    /// Its position in the manifest, for a contracted service.
    let index: Int?
    /// The policies in force: the attributes', overridden by those given at spawn.
    let policies: MethodPolicies
    /// Replies remembered by idempotency key (`@Idempotent`).
    let idempotency: IdempotentCalls?
    private let state: Mutex<State>

    init(key: String, index: Int?, policies: MethodPolicies, clock: any RuntimeClock) {
        self.key = key
        self.index = index
        self.policies = policies
        var state = State()
        if let limit = policies.rateLimit {
            state.limiter = limit.key == nil ? .shared(RateLimiter(policy: limit)) : .keyed(KeyedRateLimiter(policy: limit))
        }
        state.cache = policies.cache.map { ResultCache(policy: $0) }
        self.state = Mutex(state)
        idempotency = policies.idempotency.map { IdempotentCalls(policy: $0, clock: clock) }
    }

    /// Whether the call's arguments must be read for its keys.
    var needsKeys: Bool {
        policies.rateLimit?.key != nil || policies.cache != nil || !policies.cacheEvictions.isEmpty
            || policies.cacheInvalidations.contains { !$0.tags.isEmpty } || policies.idempotency != nil
    }

    /// Counts a call against the rate limit at `now` (under `key` for a keyed limit).
    func admit(key: String?, now: ClockInstant) -> RateLimitDecision {
        state.withLock { state in
            switch state.limiter {
            case nil:
                return .allowed(remaining: .max)
            case .shared(var limiter):
                defer { state.limiter = .shared(limiter) }
                return limiter.acquire(now: now)
            case .keyed(var limiter):
                defer { state.limiter = .keyed(limiter) }
                return limiter.acquire(key: key ?? "", now: now)
            }
        }
    }

    /// The cached reply for `key` at `now`, counting a hit or a miss.
    func cachedReply(_ key: String, now: ClockInstant) -> [UInt8]? {
        state.withLock { $0.cache?.value(forKey: key, now: now) }
    }

    /// Remembers `reply` for `key` at `now`, tagged with `tags`.
    func cache(_ reply: [UInt8], key: String, tags: [String], now: ClockInstant) {
        state.withLock { $0.cache?.insert(reply, forKey: key, tags: Set(tags), now: now) }
    }

    /// Drops the cached reply for `key`.
    func evict(_ key: String) {
        state.withLock { _ = $0.cache?.evict(key) }
    }

    /// Drops the cached replies whose key matches `pattern` (all if nil) and that carry one
    /// of `tags` (any if empty).
    func invalidate(matching pattern: GlobPattern?, tags: [String]) {
        state.withLock { state in
            guard state.cache != nil else { return }
            switch (pattern, tags.isEmpty) {
            case (nil, true):
                state.cache!.removeAll()
            case (let pattern?, true):
                state.cache!.invalidate(matching: pattern)
            case (nil, false):
                for tag in tags { state.cache!.invalidate(tag: tag) }
            case (let pattern?, false):
                for tag in tags { state.cache!.invalidate(tag: tag) { pattern.matches($0) } }
            }
        }
    }

    /// The cache's hits, misses and evictions so far; nil for a method without `@Cache`.
    var cacheStatistics: CacheStatistics? {
        state.withLock { $0.cache?.statistics }
    }
}
