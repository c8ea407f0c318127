/// A class of call failure, as `@Retry(on:)` names it and the runtime classifies errors.
///
/// Growable: a struct of named values rather than an enum.
public struct FailureKind: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    /// The name, as it is encoded and logged.
    public var rawValue: String

    /// Creates a kind; prefer the static members.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The call provably never ran in the callee: not sent, refused before it was read, the
    /// process not ready. Always safe to retry.
    public static let notExecuted = FailureKind(rawValue: "notExecuted")
    /// Refused by the callee's rate limit, before the method ran.
    public static let rateLimited = FailureKind(rawValue: "rateLimited")
    /// Refused by the caller's circuit breaker, without being sent.
    public static let circuitOpen = FailureKind(rawValue: "circuitOpen")
    /// No reply in time. The method may have run.
    public static let timedOut = FailureKind(rawValue: "timedOut")
    /// The callee's process died during the call. The method may have run.
    public static let processExited = FailureKind(rawValue: "processExited")
    /// The connection broke during the call. The method may have run.
    public static let connectionLost = FailureKind(rawValue: "connectionLost")
    /// The method itself threw. It ran.
    public static let methodError = FailureKind(rawValue: "methodError")

    /// The kinds that say the call never ran.
    public static let neverExecuted: Set<FailureKind> = [.notExecuted, .rateLimited, .circuitOpen]
    /// The default of `@Retry(on:)`: failures of the transport and of admission, not errors
    /// the method threw.
    public static let transient: Set<FailureKind> = [.notExecuted, .rateLimited, .circuitOpen, .timedOut, .processExited, .connectionLost]

    /// Whether a failure of this kind proves the method did not run.
    public var provesNotExecuted: Bool { Self.neverExecuted.contains(self) }

    /// A readable form, for logs and messages.
    public var description: String { rawValue }
}
