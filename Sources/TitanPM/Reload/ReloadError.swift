import TitanCore

/// Why a reload did not switch to a new incarnation. The old incarnation still serves
/// (``ReloadError/Code-swift.struct/notRunning`` aside: there was none).
///
/// Match on ``code``: `catch let error as ReloadError where error.code == .unhealthy`.
public struct ReloadError: Error, Sendable, CustomStringConvertible {
    /// What went wrong. New codes may be added in any release.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code's name, as `startFailed`.
        public let rawValue: String

        /// The code named `rawValue`; use the static members.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The new incarnation did not start or did not become ready (``ReloadError/cause``
        /// is the ``/TitanCore/ProcessError`` of the start).
        public static let startFailed = Code(rawValue: "startFailed")
        /// The new incarnation reported itself unhealthy, or did not answer its health check.
        public static let unhealthy = Code(rawValue: "unhealthy")
        /// The new incarnation exited within the settle period.
        public static let crashedWhileSettling = Code(rawValue: "crashedWhileSettling")
        /// The new incarnation hosts another service, or a service whose interface hash differs
        /// from the one callers were built against (``ReloadError/differingMethods`` names the
        /// methods), or does not describe its interface when callers know one.
        public static let interfaceMismatch = Code(rawValue: "interfaceMismatch")
        /// The process had no running incarnation to replace, or lost it during the reload.
        public static let notRunning = Code(rawValue: "notRunning")
        /// Another reload of the process is under way.
        public static let alreadyReloading = Code(rawValue: "alreadyReloading")
        /// The process cannot be reloaded (it runs in this process).
        public static let unsupported = Code(rawValue: "unsupported")

        /// The code's name.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The process that was being reloaded.
    public var process: ProcessID
    /// What happened, in words.
    public var message: String
    /// For ``Code-swift.struct/interfaceMismatch`` between two `@ServiceContract` interfaces:
    /// the keys of the methods that differ (`transfer(from:to:amount:)`), sorted.
    public var differingMethods: [String] = []
    /// The error behind it, when there is one (a start's ``/TitanCore/ProcessError``).
    public var cause: (any Error)?

    /// An error of `code` about `process`.
    public init(_ code: Code, process: ProcessID, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.process = process
        self.message = message
        self.cause = cause
    }

    /// `reload of calculator-1 rolled back (unhealthy): ...`
    public var description: String {
        "reload of \(process) \(code == .notRunning || code == .alreadyReloading || code == .unsupported ? "refused" : "rolled back") (\(code)): \(message)"
    }
}

/// What a reload did: the incarnation it replaced and the one that serves now.
public struct ReloadReport: Sendable, Hashable {
    /// The process reloaded (its id is the same before and after).
    public var process: ProcessID
    /// The pid of the incarnation that was replaced.
    public var oldPID: Int32
    /// The pid of the incarnation that serves now.
    public var newPID: Int32
    /// False when the drain timeout passed with calls or streams still running on the old
    /// incarnation (they ended with its stop).
    public var drained: Bool
}
