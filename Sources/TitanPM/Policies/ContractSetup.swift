import Synchronization
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanProcess

/// What the manager sets up for a spawned service's contract: the manifest the caller knows,
/// the policies in force by method key, the probe of its `@HealthCheck` method, and whether
/// the process's own contract must be checked before its reference is returned.
struct ContractSetup: Sendable {
    /// A `@HealthCheck` method and how to call it on a process.
    struct HealthProbe: Sendable {
        var method: String
        var policy: HealthCheckPolicy
        /// Calls the method on the service with process id `id`, through `system`.
        var check: @Sendable (_ system: ProcessActorSystem, _ id: ProcessID) async throws -> HealthStatus
    }

    /// The type's manifest with the policies given at spawn applied; nil without a contract.
    var manifest: ServiceManifest?
    /// The policies in force, by method key.
    var policies: [String: MethodPolicies]
    /// The service's health check, if a method has `@HealthCheck`.
    var health: HealthProbe?
    /// Whether the process may host another build of the service (another executable), so
    /// its interface hash must match the caller's.
    var checksContract: Bool

    /// The setup of `type` spawned with `options`.
    ///
    /// Throws ``/TitanPolicies/PolicyError/Code/invalidPolicy`` when `options.policies` names a method the
    /// service does not have or asks for what only its attributes can provide.
    static func make<Service: ProcessService>(_ type: Service.Type, options: SpawnOptions) throws(PolicyError) -> ContractSetup {
        guard let contracted = Service.self as? any ContractedService.Type else { return try uncontracted(options) }
        let manifest = try contracted.manifest.applying(options.policies)
        return ContractSetup(manifest, health: healthProbe(Service.self, manifest: manifest), checksContract: options.executable != nil)
    }

    /// The setup of a service spawned by name as `stub`, whose type the caller does not have;
    /// a stub of a `@ServiceContract` protocol (a ``/TitanPolicies/ServiceInterface``) has its contract checked.
    static func byName<Stub>(_ stub: Stub.Type, options: SpawnOptions) throws(PolicyError) -> ContractSetup {
        guard let interface = Stub.self as? any ServiceInterface.Type else { return try uncontracted(options) }
        return ContractSetup(try interface.manifest.applying(options.policies), health: nil, checksContract: true)
    }

    private init(_ manifest: ServiceManifest, health: HealthProbe?, checksContract: Bool) {
        self.manifest = manifest
        policies = Dictionary(manifest.methods.map { ($0.key, $0.policies) }, uniquingKeysWith: { first, _ in first })
        self.health = health
        self.checksContract = checksContract
    }

    private init(policies: [String: MethodPolicies]) {
        self.policies = policies
        manifest = nil
        health = nil
        checksContract = false
    }

    /// A service without a contract: only what `options.policies` give, checked.
    private static func uncontracted(_ options: SpawnOptions) throws(PolicyError) -> ContractSetup {
        for (key, policies) in options.policies { try policies.checkEnforceable(method: key) }
        return ContractSetup(policies: options.policies)
    }

    /// Whether the caller enforces any policy on calls to the service.
    var hasCallerPolicies: Bool { policies.values.contains(where: \.hasCallerPolicies) }

    private static func healthProbe<Service: ProcessService>(_ type: Service.Type, manifest: ServiceManifest) -> HealthProbe? {
        guard let index = manifest.methods.firstIndex(where: { $0.policies.healthCheck != nil }) else { return nil }
        let method = manifest.methods[index]
        return HealthProbe(method: method.key, policy: method.policies.healthCheck!) { system, id in
            let reference = try Service.resolve(id: ProcessActorID(process: id, instance: 0), using: system)
            guard let contracted = Service.self as? any ContractedService.Type else {
                throw PolicyError.invalidPolicy(method: method.key, "\(Service.self) has no @ServiceContract to call it through")
            }
            return try await check(contracted, reference, index: index)
        }
    }

    /// Calls the health method at `index` on the remote `reference` through the dispatch table.
    private static func check<Contract: ContractedService>(_ type: Contract.Type, _ reference: Any, index: Int) async throws -> HealthStatus {
        var arguments = NoArguments()
        let sink = HealthSink()
        try await Contract.dispatch(method: index, on: reference as! Contract, arguments: &arguments, result: sink)
        return sink.status
    }
}

/// The arguments of a method that takes none.
private struct NoArguments: DispatchArgumentDecoder {
    mutating func decodeNextArgument<Argument: Codable>() throws -> Argument {
        throw PolicyError.invalidPolicy("a @HealthCheck method takes no arguments")
    }
}

/// Receives a health method's answer: a `HealthStatus`, or a `Bool` (true for healthy).
private final class HealthSink: DispatchResultSink, Sendable {
    private let answer = Mutex(HealthStatus(.unhealthy, message: "the health check returned nothing"))

    var status: HealthStatus { answer.withLock { $0 } }

    func onReturn<Success: Codable>(value: Success) async throws {
        let status: HealthStatus = switch value {
        case let status as HealthStatus: status
        case let healthy as Bool: healthy ? .healthy : HealthStatus(.unhealthy, message: "the health check returned false")
        default: HealthStatus(.unhealthy, message: "the health check returned a \(Success.self)")
        }
        answer.withLock { $0 = status }
    }

    func onReturnVoid() async throws {}
}
