/// `@Timeout`: the longest a method may run; the deadline travels to the callee, whose task
/// is cancelled when it passes.
public struct TimeoutPolicy: Codable, Sendable, Hashable {
    /// The limit.
    public var limit: Duration

    /// Limits the method to `limit`.
    public init(_ limit: Duration) { self.limit = limit }
}

/// `@HealthCheck`: the method reports the service's health; the manager calls it on an
/// interval.
public struct HealthCheckPolicy: Codable, Sendable, Hashable {
    /// How often the manager calls it.
    public var interval: Duration
    /// Whether an unhealthy answer (or a failed check) restarts the process.
    public var critical: Bool

    /// Checks every `interval`; `critical` checks restart the process when unhealthy.
    public init(interval: Duration = .seconds(10), critical: Bool = false) {
        self.interval = interval
        self.critical = critical
    }
}

/// `@Trace`: a span around each call of the method.
public struct TracePolicy: Codable, Sendable, Hashable {
    /// The span's name; nil for the method's key.
    public var name: String?

    /// Traces with a span named `name` (the method's key if nil).
    public init(_ name: String? = nil) { self.name = name }
}

/// `@Metric`: call count, error count and duration of the method.
public struct MetricPolicy: Codable, Sendable, Hashable {
    /// The metrics' base name; nil for the service and method names.
    public var name: String?

    /// Records metrics under `name`.
    public init(_ name: String? = nil) { self.name = name }
}

/// `@SelfHeal`: when the method fails, run a healing method in the same process, then run
/// the method once more.
public struct SelfHealPolicy: Codable, Sendable, Hashable {
    /// The healing method's name, a method of the same actor taking no arguments.
    public var healer: String
    /// How many heal-and-retry rounds one call may use.
    public var maxAttempts: Int

    /// Heals with the method named `healer`, at most `maxAttempts` times per call.
    public init(using healer: String, maxAttempts: Int = 1) {
        self.healer = healer
        self.maxAttempts = max(maxAttempts, 1)
    }
}

/// `@Validate`, as the manifest records it: which field is checked and by what rules.
public struct ValidationDescriptor: Codable, Sendable, Hashable {
    /// The argument's name, or `result`.
    public var field: String
    /// A summary of each rule (``ValidationRule/summary``).
    public var rules: [String]

    /// Records the rules on `field`.
    public init(field: String, rules: [String]) {
        self.field = field
        self.rules = rules
    }
}
