/// The policies on one method, from its attributes (or given at spawn for a service that
/// cannot be annotated). A field is nil when the policy is not used.
public struct MethodPolicies: Codable, Sendable, Hashable {
    /// `@RateLimit`.
    public var rateLimit: RateLimitPolicy?
    /// `@CircuitBreaker`.
    public var circuitBreaker: CircuitBreakerPolicy?
    /// `@Retry`.
    public var retry: RetryPolicy?
    /// `@Timeout`.
    public var timeout: TimeoutPolicy?
    /// `@Cache`.
    public var cache: CachePolicy?
    /// `@CacheEvict`, one per attribute.
    public var cacheEvictions: [CacheEvictPolicy]
    /// `@CacheInvalidate`, one per attribute.
    public var cacheInvalidations: [CacheInvalidatePolicy]
    /// `@Validate`, one per checked field.
    public var validations: [ValidationDescriptor]
    /// `@Idempotent`.
    public var idempotency: IdempotencyPolicy?
    /// `@HealthCheck`.
    public var healthCheck: HealthCheckPolicy?
    /// `@Trace`.
    public var trace: TracePolicy?
    /// `@Metric`.
    public var metric: MetricPolicy?
    /// `@SelfHeal`.
    public var selfHeal: SelfHealPolicy?

    /// Creates a set of policies; every one is off unless given.
    public init(
        rateLimit: RateLimitPolicy? = nil,
        circuitBreaker: CircuitBreakerPolicy? = nil,
        retry: RetryPolicy? = nil,
        timeout: TimeoutPolicy? = nil,
        cache: CachePolicy? = nil,
        cacheEvictions: [CacheEvictPolicy] = [],
        cacheInvalidations: [CacheInvalidatePolicy] = [],
        validations: [ValidationDescriptor] = [],
        idempotency: IdempotencyPolicy? = nil,
        healthCheck: HealthCheckPolicy? = nil,
        trace: TracePolicy? = nil,
        metric: MetricPolicy? = nil,
        selfHeal: SelfHealPolicy? = nil
    ) {
        self.rateLimit = rateLimit
        self.circuitBreaker = circuitBreaker
        self.retry = retry
        self.timeout = timeout
        self.cache = cache
        self.cacheEvictions = cacheEvictions
        self.cacheInvalidations = cacheInvalidations
        self.validations = validations
        self.idempotency = idempotency
        self.healthCheck = healthCheck
        self.trace = trace
        self.metric = metric
        self.selfHeal = selfHeal
    }

    /// These policies with every policy `overrides` sets put in place of this one's: how
    /// policies given at spawn (`SpawnOptions.policies`) combine with a method's attributes.
    /// Lists (evictions, invalidations, validations) are replaced when `overrides` has any.
    public func overridden(by overrides: MethodPolicies) -> MethodPolicies {
        var result = self
        result.rateLimit = overrides.rateLimit ?? rateLimit
        result.circuitBreaker = overrides.circuitBreaker ?? circuitBreaker
        result.retry = overrides.retry ?? retry
        result.timeout = overrides.timeout ?? timeout
        result.cache = overrides.cache ?? cache
        if !overrides.cacheEvictions.isEmpty { result.cacheEvictions = overrides.cacheEvictions }
        if !overrides.cacheInvalidations.isEmpty { result.cacheInvalidations = overrides.cacheInvalidations }
        if !overrides.validations.isEmpty { result.validations = overrides.validations }
        result.idempotency = overrides.idempotency ?? idempotency
        result.healthCheck = overrides.healthCheck ?? healthCheck
        result.trace = overrides.trace ?? trace
        result.metric = overrides.metric ?? metric
        result.selfHeal = overrides.selfHeal ?? selfHeal
        return result
    }

    /// Whether any policy the serving process enforces is set (rate limit, cache and its
    /// evictions, idempotency, timeout, self-healing, trace, metric).
    public var hasServingPolicies: Bool {
        rateLimit != nil || cache != nil || !cacheEvictions.isEmpty || !cacheInvalidations.isEmpty
            || idempotency != nil || timeout != nil || selfHeal != nil || trace != nil || metric != nil
    }

    /// Whether any policy the calling process enforces is set (circuit breaker, retry, timeout).
    public var hasCallerPolicies: Bool {
        circuitBreaker != nil || retry != nil || timeout != nil
    }

    /// Whether no policy is set: the runtime's fast path.
    public var isEmpty: Bool { self == MethodPolicies() }

    /// Whether running the method twice is harmless, so a call that may have run can be retried.
    public var isIdempotent: Bool { idempotency != nil }
}
