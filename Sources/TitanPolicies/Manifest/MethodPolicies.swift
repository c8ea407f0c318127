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

    /// Whether no policy is set: the runtime's fast path.
    public var isEmpty: Bool { self == MethodPolicies() }

    /// Whether running the method twice is harmless, so a call that may have run can be retried.
    public var isIdempotent: Bool { idempotency != nil }
}
