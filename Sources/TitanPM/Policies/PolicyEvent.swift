import FoundationEssentials
import TitanCore

/// Something a method policy did that operators and tests want to know: a circuit breaker
/// changed state, a health check failed or recovered. Delivered by
/// ``ProcessManager/policyEvents``.
public struct PolicyEvent: Sendable, Hashable, CustomStringConvertible {
    /// What happened. New kinds may be added in any release.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The name, as logged.
        public let rawValue: String

        /// Creates a kind; prefer the static members.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A circuit breaker opened: calls now fail fast with `PolicyError` code `circuitOpen`
        /// without being sent, until ``PolicyEvent/retryAfter`` has passed.
        public static let circuitOpened = Kind(rawValue: "circuitOpened")
        /// An open circuit's reset time passed: the next call goes through as a probe.
        public static let circuitHalfOpened = Kind(rawValue: "circuitHalfOpened")
        /// The probes succeeded: calls flow again.
        public static let circuitClosed = Kind(rawValue: "circuitClosed")
        /// A `@HealthCheck` method reported unhealthy, failed or did not answer in time.
        public static let unhealthy = Kind(rawValue: "unhealthy")
        /// A `@HealthCheck` method reported healthy again after reporting unhealthy.
        public static let healthy = Kind(rawValue: "healthy")

        /// A readable form, for logs and messages.
        public var description: String { rawValue }
    }

    /// What happened.
    public var kind: Kind
    /// The process concerned (for a pool, the worker's).
    public var process: ProcessID
    /// The method concerned (`add(_:_:)`), if one is.
    public var method: String?
    /// For ``Kind/circuitOpened``, how long the circuit stays open.
    public var retryAfter: Duration?
    /// Why, in words.
    public var reason: String?
    /// When it happened.
    public var time: Date

    /// An event of `kind` about `process`.
    public init(_ kind: Kind, process: ProcessID, method: String? = nil, retryAfter: Duration? = nil, reason: String? = nil, time: Date = Date()) {
        self.kind = kind
        self.process = process
        self.method = method
        self.retryAfter = retryAfter
        self.reason = reason
        self.time = time
    }

    /// A readable form, for logs.
    public var description: String {
        var text = "\(kind) \(process)"
        if let method { text += " \(method)" }
        if let retryAfter { text += " for \(retryAfter)" }
        if let reason { text += ": \(reason)" }
        return text
    }
}
