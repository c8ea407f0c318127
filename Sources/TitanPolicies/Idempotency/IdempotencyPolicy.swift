/// `@Idempotent`: a repeated call with the same key returns the stored result without
/// running the method again; concurrent duplicates wait for the first.
///
/// The key comes from the call's metadata when the caller set one (a workflow step, a retry),
/// otherwise from the argument `key` names (or a template such as `"order:{orderID}"`);
/// without either, from all the arguments.
public struct IdempotencyPolicy: Codable, Sendable, Hashable {
    /// The argument (or key template) that identifies a call; nil for all arguments.
    public var key: String?
    /// How long a result is remembered.
    public var ttl: Duration
    /// Results remembered at most; the oldest goes first.
    public var maxEntries: Int

    /// Remembers results by `key` for `ttl`.
    public init(key: String? = nil, ttl: Duration = .seconds(86_400), maxEntries: Int = 10_000) {
        self.key = key
        self.ttl = ttl
        self.maxEntries = max(maxEntries, 1)
    }
}
