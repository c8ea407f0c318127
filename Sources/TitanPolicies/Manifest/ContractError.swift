/// A process hosts a service whose interface is not the one the caller was built against, so
/// calls between the two could fail or misbehave; the spawn that found it failed and the
/// process was stopped.
///
/// ```swift
/// do {
///     let accounts = try await pm.spawn(Accounts.self, options: SpawnOptions(executable: "/opt/accounts-v2"))
/// } catch let error as ContractError where error.code == .interfaceMismatch {
///     print(error.differingMethods)   // ["transfer(from:to:amount:)"]
/// }
/// ```
public struct ContractError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
        /// The name, as it is encoded and logged.
        public var rawValue: String

        /// Creates a code; prefer the static members.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The interface hashes differ: ``ContractError/differingMethods`` names the methods
        /// present on one side only or with other types.
        public static let interfaceMismatch = Code(rawValue: "interfaceMismatch")
        /// The process does not describe its interface (its service has no `@ServiceContract`),
        /// so nothing could be compared.
        public static let contractUnavailable = Code(rawValue: "contractUnavailable")

        /// A readable form, for logs and messages.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The service's name.
    public var service: String
    /// The hash of the interface the caller was built against.
    public var expected: InterfaceHash
    /// The hash of the interface the process hosts; nil if it did not say.
    public var found: InterfaceHash?
    /// The keys of the methods that differ (`transfer(from:to:amount:)`), sorted.
    public var differingMethods: [String]

    /// Creates an error; prefer the static factories.
    public init(code: Code, service: String, expected: InterfaceHash, found: InterfaceHash?, differingMethods: [String]) {
        self.code = code
        self.service = service
        self.expected = expected
        self.found = found
        self.differingMethods = differingMethods
    }

    /// The interface `found` in the process differs from the `expected` one.
    public static func mismatch(expected: ServiceManifest, found: ServiceManifest) -> ContractError {
        ContractError(
            code: .interfaceMismatch, service: expected.service, expected: expected.interfaceHash,
            found: found.interfaceHash, differingMethods: expected.differingMethods(from: found)
        )
    }

    /// A readable form that says which methods differ and what to do.
    public var description: String {
        switch code {
        case .interfaceMismatch:
            let methods = differingMethods.isEmpty ? "" : "; methods that differ: " + differingMethods.joined(separator: ", ")
            return "\(service): the process hosts interface \(found.map { "\($0)" } ?? "?"), the caller expects \(expected)\(methods). Rebuild the two from the same version of the service"
        case .contractUnavailable:
            return "\(service): the process does not describe its interface (no @ServiceContract), so it cannot be checked against \(expected)"
        default:
            return "\(service): \(code)"
        }
    }
}
