/// Why a supervisor failed, or refused an operation.
///
/// Match on ``code``, a set that grows without breaking a `switch` that has a `default`.
public struct SupervisorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong. New codes may be added in any release.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as `intensityExceeded`.
        public let rawValue: String

        /// The code named `rawValue`; use the static members.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// More restarts than the intensity allows within the period.
        public static let intensityExceeded = Code(rawValue: "intensityExceeded")
        /// A child's failure was escalated (by a hook, or from a nested supervisor).
        public static let escalated = Code(rawValue: "escalated")
        /// A child could not be started when the supervisor started.
        public static let startFailed = Code(rawValue: "startFailed")
        /// The supervisor has no child with this id, or it is not of the requested kind.
        public static let noSuchChild = Code(rawValue: "noSuchChild")
        /// The operation needs a running supervisor (or a simple-one-for-one one).
        public static let notAllowed = Code(rawValue: "notAllowed")

        /// The code's name.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// What happened, in words.
    public var message: String
    /// The supervisor that failed, when one did.
    public var supervisor: String?
    /// The child involved, when one is.
    public var child: String?

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String, supervisor: String? = nil, child: String? = nil) {
        self.code = code
        self.message = message
        self.supervisor = supervisor
        self.child = child
    }

    /// The ``message``.
    public var description: String { message }

    /// `supervisor` restarted children more than `restarts` times within `period`.
    public static func intensityExceeded(supervisor: String, restarts: Int, within period: Duration) -> SupervisorError {
        SupervisorError(.intensityExceeded, "supervisor \(supervisor) gave up: \(restarts) restarts within \(period)", supervisor: supervisor)
    }

    /// `child`'s failure was escalated to `supervisor`.
    public static func escalated(supervisor: String, child: String, reason: String) -> SupervisorError {
        SupervisorError(.escalated, "supervisor \(supervisor) failed: child \(child) escalated (\(reason))", supervisor: supervisor, child: child)
    }

    /// `child` could not be started.
    public static func startFailed(supervisor: String, child: String, reason: String) -> SupervisorError {
        SupervisorError(.startFailed, "supervisor \(supervisor) could not start child \(child): \(reason)", supervisor: supervisor, child: child)
    }

    /// No child `id`.
    public static func noSuchChild(_ id: String) -> SupervisorError {
        SupervisorError(.noSuchChild, "no such child: \(id)", child: id)
    }

    /// The operation is not allowed now.
    public static func notAllowed(_ why: String) -> SupervisorError {
        SupervisorError(.notAllowed, "not allowed: \(why)")
    }
}
