/// The error a method policy raises instead of running or answering a call.
///
/// A struct with a ``Code`` rather than an enum, so that new policies add codes without
/// breaking a caller's `switch`. It is `Codable`: raised in a child process, it reaches the
/// caller as itself, with its ``retryAfter`` and ``failures``.
///
/// ```swift
/// do {
///     try await accounts.transfer(from: a, to: b, amount: 10)
/// } catch let error as PolicyError where error.code == .rateLimited {
///     try await Task.sleep(for: error.retryAfter ?? .seconds(1))
/// }
/// ```
public struct PolicyError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    /// What kind of policy refused the call.
    public struct Code: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
        /// The name, as it is encoded and logged.
        public var rawValue: String

        /// Creates a code; prefer the static members.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// More calls than `@RateLimit` allows in its window; ``PolicyError/retryAfter`` says
        /// when one will be accepted. The method did not run.
        public static let rateLimited = Code(rawValue: "rateLimited")
        /// The circuit breaker is open (or its half-open probe is already in flight); the call
        /// was not sent. ``PolicyError/retryAfter`` says when a probe will be let through.
        public static let circuitOpen = Code(rawValue: "circuitOpen")
        /// Arguments or the result broke a `@Validate` rule; ``PolicyError/failures`` lists
        /// each field and why. Invalid arguments never reach the method body.
        public static let validationFailed = Code(rawValue: "validationFailed")
        /// The method ran past its `@Timeout`; its task was cancelled.
        public static let timedOut = Code(rawValue: "timedOut")
        /// Policies given at spawn name a method the service does not have, or ask for what
        /// only `@ServiceContract` can do (a `key:` read from an argument, `@SelfHeal`). The
        /// service was not started.
        public static let invalidPolicy = Code(rawValue: "invalidPolicy")

        /// A readable form, for logs and messages.
        public var description: String { rawValue }
    }

    /// One field that broke a validation rule.
    public struct FieldFailure: Codable, Sendable, Hashable, CustomStringConvertible {
        /// The argument's name, `result`, or a path into either (`user.email`, `tags[2]`).
        public var field: String
        /// Why, in words a caller can act on ("must be at most 64 characters long").
        public var reason: String

        /// Creates a failure of `field` for `reason`.
        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }

        /// A readable form, for logs and messages.
        public var description: String { "\(field): \(reason)" }
    }

    /// What kind of policy refused the call.
    public var code: Code
    /// The method's key (`transfer(from:to:amount:)`), when the error concerns one method.
    public var method: String?
    /// How long to wait before the same call can succeed, for rate limits and open circuits.
    public var retryAfter: Duration?
    /// Every field that failed validation (empty for other codes).
    public var failures: [FieldFailure]
    /// A sentence that says what happened and what to do.
    public var message: String

    /// Creates an error; prefer the static factories.
    public init(code: Code, method: String? = nil, retryAfter: Duration? = nil, failures: [FieldFailure] = [], message: String) {
        self.code = code
        self.method = method
        self.retryAfter = retryAfter
        self.failures = failures
        self.message = message
    }

    /// The call exceeded a rate limit; it may be made again after `retryAfter`.
    public static func rateLimited(method: String? = nil, retryAfter: Duration) -> PolicyError {
        PolicyError(code: .rateLimited, method: method, retryAfter: retryAfter,
                    message: "rate limit reached; retry after \(retryAfter)")
    }

    /// The circuit is open; a probe call will be let through after `retryAfter`.
    public static func circuitOpen(method: String? = nil, retryAfter: Duration) -> PolicyError {
        PolicyError(code: .circuitOpen, method: method, retryAfter: retryAfter,
                    message: "circuit open after repeated failures; the call was not sent; retry after \(retryAfter)")
    }

    /// Validation failed for each of `failures`.
    public static func validationFailed(method: String? = nil, failures: [FieldFailure]) -> PolicyError {
        let list = failures.map(\.description).joined(separator: "; ")
        return PolicyError(code: .validationFailed, method: method, failures: failures,
                           message: "invalid: \(list)")
    }

    /// The method ran longer than `limit` and was cancelled.
    public static func timedOut(method: String? = nil, after limit: Duration) -> PolicyError {
        PolicyError(code: .timedOut, method: method, message: "the method ran longer than its timeout of \(limit) and was cancelled")
    }

    /// Policies given at spawn that cannot be applied, for the reason `why`.
    public static func invalidPolicy(method: String? = nil, _ why: String) -> PolicyError {
        PolicyError(code: .invalidPolicy, method: method, message: why)
    }

    /// A readable form, for logs and messages.
    public var description: String {
        method.map { "\($0): \(message)" } ?? message
    }
}
