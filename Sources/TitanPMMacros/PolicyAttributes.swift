import TitanCore

// The method policy attributes. Each goes on a `distributed func` of a `@ServiceContract`
// actor, which records it in the manifest; on its own an attribute generates nothing, but
// checks its method (a non-distributed func, a `key:` naming no argument, conflicting
// policies are compile-time errors). Their parameters are those of the policy types in
// TitanPolicies, which the runtime also takes at spawn for services that cannot be annotated.

/// Limits the method to `limit` calls per `window`, counted in the process that hosts the
/// service; a call over the limit fails with ``/TitanPolicies/PolicyError`` code `rateLimited`
/// and a `retryAfter`, without running. With `key`, each value of that argument (or of a
/// template such as `"user:{userID}"`) has its own limit. See ``/TitanPolicies/RateLimitPolicy``.
@attached(peer)
public macro RateLimit(
    _ limit: Int,
    per window: Duration,
    strategy: RateLimitPolicy.Strategy = .slidingWindow,
    key: String? = nil,
    maxKeys: Int = 10_000
) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// Stops calling the method's process while it keeps failing: after `trip`, calls fail fast
/// on the caller's side (code `circuitOpen`) for `resetAfter`, then a probe decides. See
/// ``/TitanPolicies/CircuitBreakerPolicy``.
@attached(peer)
public macro CircuitBreaker(
    _ trip: CircuitBreakerPolicy.Trip = .consecutiveFailures(5),
    resetAfter: Duration = .seconds(30),
    probes: Int = 1
) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// Tries a failed call again, up to `maxAttempts` in all, after the failures in `on`. A call
/// that may have run is repeated only if the method is also `@Idempotent` (a warning says so).
/// See ``/TitanPolicies/RetryPolicy``.
@attached(peer)
public macro Retry(
    _ maxAttempts: Int = 3,
    backoff: Backoff = .exponential(),
    on retryOn: Set<FailureKind> = FailureKind.transient
) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// Bounds the method's run time; the deadline travels to the callee, whose task is cancelled.
@attached(peer)
public macro Timeout(_ limit: Duration) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// Caches the method's results in the hosting process for `ttl` (LRU, `maxEntries`), keyed by
/// the argument `key` names (or a `{name}` template; all arguments if nil). See
/// ``/TitanPolicies/CachePolicy``.
@attached(peer)
public macro Cache(
    ttl: Duration,
    key: String? = nil,
    maxEntries: Int = 1_000,
    tags: [String] = []
) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// After the method runs, drops the entry of the cached method `method` (its key, such as
/// `"user(id:)"`) whose key is this call's `key`. See ``/TitanPolicies/CacheEvictPolicy``.
@attached(peer)
public macro CacheEvict(_ method: String, key: String? = nil) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// After the method runs, drops the entries of `method` (every cached method if nil) whose
/// key matches `matching` and that carry one of `tags`. See ``/TitanPolicies/CacheInvalidatePolicy``.
@attached(peer)
public macro CacheInvalidate(
    _ method: String? = nil,
    matching pattern: String? = nil,
    tags: [String] = []
) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// Checks the argument named `argument` with `rules` before the method runs; a failure lists
/// every failed field and why (code `validationFailed`), and the body does not run.
@attached(peer)
public macro Validate<Value>(_ argument: String, _ rules: ValidationRule<Value>...) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// `@Validate` with collection rules (`.count`, `.nonEmpty`, `.each`), whose value type an
/// attribute cannot infer from the rule alone. They type-check here against `[String]`, and
/// against the argument's real type in the generated code; for other element types whose
/// rules do not fit `String`, spell the type: `ValidationRule<[Int]>.each(.range(1...9))`.
@attached(peer)
public macro Validate(_ argument: String, _ rules: ValidationRule<[String]>...) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// Checks the method's result with `rules` before it is sent; an invalid result is refused
/// with code `validationFailed`.
@attached(peer)
public macro Validate<Value>(result rules: ValidationRule<Value>...) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// Runs the method once per key: a repeat returns the stored result, and concurrent
/// duplicates wait for the first. The key is the call's metadata key if the caller set one,
/// else the argument `key` names (or a template; all arguments if nil). See
/// ``/TitanPolicies/IdempotencyPolicy``.
@attached(peer)
public macro Idempotent(
    key: String? = nil,
    ttl: Duration = .seconds(86_400),
    maxEntries: Int = 10_000
) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// Marks a method without arguments that returns `HealthStatus` (or `Bool`) as the service's
/// health check, which the manager calls every `interval`; a `critical` one that reports
/// unhealthy gets the process restarted.
@attached(peer)
public macro HealthCheck(interval: Duration = .seconds(10), critical: Bool = false) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// Wraps each call of the method in a trace span named `name` (the method's key if nil).
@attached(peer)
public macro Trace(_ name: String? = nil) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// Records the method's call count, errors and duration under `name`.
@attached(peer)
public macro Metric(_ name: String? = nil) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")

/// When the method fails, runs the actor's method `healer` (no arguments) in the same process
/// and then the method once more, at most `maxAttempts` times per call.
@attached(peer)
public macro SelfHeal(using healer: String, maxAttempts: Int = 1) = #externalMacro(module: "TitanMacrosPlugin", type: "PolicyAttributeMacro")
