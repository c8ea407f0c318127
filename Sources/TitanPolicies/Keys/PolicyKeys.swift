/// The keys one call yields for its method's policies, computed from its arguments by the
/// code `@ServiceContract` generates (``ContractedService/policyKeys(method:arguments:)``).
/// A field is nil (or empty) when the method has no such policy.
public struct PolicyKeys: Sendable, Hashable {
    /// One entry of another method's cache to drop after this call (`@CacheEvict`).
    public struct Eviction: Sendable, Hashable {
        /// The cached method's key.
        public var method: String
        /// The entry's key.
        public var key: String

        /// Drops `key` from `method`'s cache.
        public init(method: String, key: String) {
            self.method = method
            self.key = key
        }
    }

    /// The `@RateLimit` key: whose limit the call counts against.
    public var rateLimit: String?
    /// The `@Cache` entry key.
    public var cache: String?
    /// The tags of the `@Cache` entry this call stores.
    public var cacheTags: [String]
    /// The `@CacheEvict` entries to drop after the call.
    public var evictions: [Eviction]
    /// The `@CacheInvalidate(tags:)` tags whose entries to drop after the call.
    public var invalidatedTags: [String]
    /// The `@Idempotent` key, used when the call's metadata carries none.
    public var idempotency: String?

    /// No keys.
    public init(
        rateLimit: String? = nil,
        cache: String? = nil,
        cacheTags: [String] = [],
        evictions: [Eviction] = [],
        invalidatedTags: [String] = [],
        idempotency: String? = nil
    ) {
        self.rateLimit = rateLimit
        self.cache = cache
        self.cacheTags = cacheTags
        self.evictions = evictions
        self.invalidatedTags = invalidatedTags
        self.idempotency = idempotency
    }
}
