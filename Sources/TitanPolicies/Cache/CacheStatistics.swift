/// What a ``ResultCache`` has done since it was created.
public struct CacheStatistics: Codable, Sendable, Hashable {
    /// Lookups that found a live entry.
    public var hits = 0
    /// Lookups that found nothing (or only an expired entry).
    public var misses = 0
    /// Entries dropped to make room (least recently used first).
    public var evictions = 0
    /// Entries dropped because their time to live ran out.
    public var expirations = 0
    /// Entries removed on purpose: by key, tag, pattern or all at once.
    public var invalidations = 0
    /// Entries held now.
    public var count = 0

    /// No activity yet.
    public init() {}

    /// `hits / (hits + misses)`, or 0 before the first lookup.
    public var hitRatio: Double {
        hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
    }
}
