/// Why an admin request failed: a code a program can switch on and a message a person can act on.
public struct AdminError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure. New codes may be added in any release.
    public struct Code: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }


        public var description: String { rawValue }

        /// The request could not be read, or lacks a field its operation needs.
        public static let badRequest = Code(rawValue: "badRequest")
        /// The operation is not one this manager knows.
        public static let unknownOperation = Code(rawValue: "unknownOperation")
        /// No process, pool, supervisor or service has that name.
        public static let unknownName = Code(rawValue: "unknownName")
        /// The name fits several things where one is needed.
        public static let ambiguousName = Code(rawValue: "ambiguousName")
        /// The peer is not allowed to use this endpoint at all (wrong user, missing token).
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// The endpoint's policy does not allow this action.
        public static let refused = Code(rawValue: "refused")
        /// The target cannot do that (restart an in-process service, invoke a generic method).
        public static let unsupported = Code(rawValue: "unsupported")
        /// The manager has no such data (for example, it does not capture logs).
        public static let unavailable = Code(rawValue: "unavailable")
        /// The operation was tried and failed; the message says how.
        public static let failed = Code(rawValue: "failed")
        /// The client could not reach a manager (set by ``AdminClient``, never sent).
        public static let noManager = Code(rawValue: "noManager")
        /// The connection broke or a reply could not be read (set by ``AdminClient``).
        public static let protocolError = Code(rawValue: "protocolError")
    }

    /// What kind of failure.
    public var code: Code
    /// What happened, in words a person can act on.
    public var message: String

    /// An error of `code` with `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
