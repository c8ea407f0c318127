/// How a method's results are cached in the process that hosts it: the configuration of
/// `@Cache`, `@CacheEvict` and `@CacheInvalidate`.
///
/// Each cached method has its own ``ResultCache``. An entry's key is the text of the
/// argument `key` names, or of a template such as `"user:{id}"` whose `{name}`s are
/// arguments; without `key`, all the arguments.
///
/// ```swift
/// @Cache(ttl: .seconds(60), key: "id", maxEntries: 1_000, tags: ["org:{orgID}"])
/// distributed func user(id: String, orgID: String) -> User
///
/// @CacheEvict("user(id:orgID:)", key: "id")      // drops that entry
/// distributed func rename(id: String, to name: String)
///
/// @CacheInvalidate(tags: ["org:{orgID}"])         // drops every entry tagged so
/// distributed func deleteOrg(orgID: String)
/// ```
public struct CachePolicy: Codable, Sendable, Hashable {
    /// How long an entry is served after it was stored.
    public var ttl: Duration
    /// The argument (or key template) that identifies an entry; nil for all arguments.
    public var key: String?
    /// Entries kept at most; the least recently used goes first.
    public var maxEntries: Int
    /// Tags (templates allowed) put on each entry, for `@CacheInvalidate(tags:)`.
    public var tags: [String]

    /// Caches results for `ttl`.
    public init(ttl: Duration, key: String? = nil, maxEntries: Int = 1_000, tags: [String] = []) {
        self.ttl = ttl
        self.key = key
        self.maxEntries = max(maxEntries, 1)
        self.tags = tags
    }
}

/// `@CacheEvict`: after the method runs, drop one entry of a cached method.
public struct CacheEvictPolicy: Codable, Sendable, Hashable {
    /// The cached method's key (`user(id:orgID:)`).
    public var method: String
    /// This method's argument (or key template) whose text is the entry's key; nil for all
    /// of this method's arguments.
    public var key: String?

    /// Evicts the entry of `method` whose key is this call's `key`.
    public init(_ method: String, key: String? = nil) {
        self.method = method
        self.key = key
    }
}

/// `@CacheInvalidate`: after the method runs, drop many entries at once.
public struct CacheInvalidatePolicy: Codable, Sendable, Hashable {
    /// Only the entries of this cached method (its key); nil for every cached method.
    public var method: String?
    /// Only the entries whose key matches this ``GlobPattern`` (`user:*`); nil for all.
    public var pattern: String?
    /// The entries carrying any of these tags (templates allowed); empty: do not filter by tag.
    public var tags: [String]

    /// Invalidates the entries of `method` (every cached method if nil) that match `pattern`
    /// and carry one of `tags` (each filter applies only when given).
    public init(_ method: String? = nil, matching pattern: String? = nil, tags: [String] = []) {
        self.method = method
        self.pattern = pattern
        self.tags = tags
    }
}
