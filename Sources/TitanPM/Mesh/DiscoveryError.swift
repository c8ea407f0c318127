/// Why a service could not be found, reached or started with its dependencies.
///
/// A struct with a growable ``Code`` (new codes may come in any release, so a `switch` over
/// codes needs a `default`); it is `Codable`, so a child that discovers a service receives
/// the manager's error as this type.
public struct DiscoveryError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// What went wrong. New codes may be added in any release.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        /// The code's name, as `notFound`.
        public let rawValue: String

        /// The code named `rawValue`; use the static members.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// No running service matched the name and version range within the timeout.
        public static let notFound = Code(rawValue: "notFound")
        /// The version range (or a registered version) is not valid semantic-version text.
        public static let invalidVersion = Code(rawValue: "invalidVersion")
        /// The services' dependencies form a cycle; ``DiscoveryError/members`` names it.
        public static let dependencyCycle = Code(rawValue: "dependencyCycle")
        /// A dependency is not running and the spawn was told not to start it (or cannot:
        /// it was declared by name, or it needs a configuration).
        public static let dependencyNotRunning = Code(rawValue: "dependencyNotRunning")
        /// The service was spawned with `SpawnOptions.reachableByChildren` false: the manager
        /// does not introduce it to other children.
        public static let notReachable = Code(rawValue: "notReachable")
        /// This process has no manager to ask: it was not started by a `ProcessManager`, or
        /// its manager's mesh endpoint is gone.
        public static let noManager = Code(rawValue: "noManager")

        /// The code's name.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// What happened, in words.
    public var message: String
    /// For ``Code/dependencyCycle``: the services around the cycle, the first repeated at
    /// the end (`["checkout", "inventory", "checkout"]`); for ``Code/dependencyNotRunning``: the
    /// dependency missing.
    public var members: [String]

    /// An error with `code`, `message` and the services involved.
    public init(_ code: Code, _ message: String, members: [String] = []) {
        self.code = code
        self.message = message
        self.members = members
    }

    /// The code and the message, as `notFound: no greeter@^2 within 5 s`.
    public var description: String { "\(code): \(message)" }
}
