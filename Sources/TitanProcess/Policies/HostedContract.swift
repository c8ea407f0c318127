import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanWire

/// A hosted service's contract as its host process knows it: the manifest with the policies
/// in force, and the interceptor that enforces the serving side's share of them.
package struct HostedContract: Sendable {
    /// The manifest `@ServiceContract` generated (for the actor, or a protocol it conforms
    /// to), with the policies given at spawn applied; nil for a service without a contract.
    package let manifest: ServiceManifest?
    /// The serving side's policies, if any method has one.
    package let policies: ServingPolicies?

    /// Sets up `service`'s contract in `system`: applies `overrides` (policies given at spawn)
    /// and installs the serving policies after the service's own interceptors.
    ///
    /// Throws ``/TitanPolicies/PolicyError/Code/invalidPolicy`` if `overrides` cannot be enforced.
    package static func install<Service: ProcessService>(
        _ service: Service,
        overrides: [String: MethodPolicies],
        in system: ProcessActorSystem
    ) throws -> HostedContract {
        // A contracted actor's own manifest, or the one a `@ServiceContract` protocol it
        // conforms to describes.
        var manifest = system.localTarget(service.id)?.contract?.manifest ?? (Service.self as? any ServiceInterface.Type)?.manifest
        if let declared = manifest {
            manifest = try declared.applying(overrides)
        } else {
            for (key, policies) in overrides { try policies.checkEnforceable(method: key) }
        }
        let policies = ServingPolicies(service: Service.name, manifest: manifest, policies: overrides, system: system)
        if let policies { system.addInterceptor(policies) }
        return HostedContract(manifest: manifest, policies: policies)
    }

    /// The reply to a control request about the contract (the manifest, or the policies' statistics).
    package func answer(_ request: ControlRequest, encoder: WireEncoder) -> Result<[UInt8], ProcessError> {
        do {
            switch request {
            case .contract:
                return .success(try encoder.encode(manifest))
            case .policyStatistics:
                return .success(try encoder.encode(policies?.cacheStatistics ?? [:]))
            default:
                return .failure(ProcessError.unsupported("\(request) is not a contract request"))
            }
        } catch {
            return .failure(ProcessError.encodingFailed("\(error)"))
        }
    }
}
