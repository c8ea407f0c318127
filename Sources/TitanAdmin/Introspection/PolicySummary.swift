import TitanPolicies

extension MethodPolicies {
    /// The policies as the attributes that declare them, for operators:
    /// `@RateLimit(100 per 1 s, token bucket (burst 20), key userID)`, `@Timeout(2 s)`, ...
    var attributes: [String] {
        var result: [String] = []
        if let rate = rateLimit {
            result.append("@RateLimit(\(rate.limit) per \(Self.text(rate.window)), \(rate.strategy)\(rate.key.map { ", key \($0)" } ?? ""))")
        }
        if let breaker = circuitBreaker {
            result.append("@CircuitBreaker(\(breaker.trip), reset after \(Self.text(breaker.resetAfter)))")
        }
        if let retry {
            result.append("@Retry(\(retry.maxAttempts) attempts)")
        }
        if let timeout { result.append("@Timeout(\(Self.text(timeout.limit)))") }
        if let cache {
            result.append("@Cache(ttl \(Self.text(cache.ttl))\(cache.key.map { ", key \($0)" } ?? ""), \(cache.maxEntries) entries)")
        }
        for eviction in cacheEvictions { result.append("@CacheEvict(\(eviction.method)\(eviction.key.map { ", key \($0)" } ?? ""))") }
        for invalidation in cacheInvalidations {
            let target = [invalidation.method, invalidation.pattern].compactMap { $0 } + invalidation.tags.map { "tag \($0)" }
            result.append("@CacheInvalidate(\(target.joined(separator: ", ")))")
        }
        for validation in validations { result.append("@Validate(\(validation.field): \(validation.rules.joined(separator: ", ")))") }
        if let idempotency {
            result.append("@Idempotent(\(idempotency.key.map { "key \($0), " } ?? "")ttl \(Self.text(idempotency.ttl)))")
        }
        if let check = healthCheck { result.append("@HealthCheck(every \(Self.text(check.interval))\(check.critical ? ", critical" : ""))") }
        if let trace { result.append("@Trace" + (trace.name.map { "(\($0))" } ?? "")) }
        if let metric { result.append("@Metric" + (metric.name.map { "(\($0))" } ?? "")) }
        if let heal = selfHeal { result.append("@SelfHeal(\(heal.healer), \(heal.maxAttempts) attempt(s))") }
        return result
    }

    private static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds) s" }
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
    }
}
