@_exported import TitanPolicies

/// Generates a distributed actor's service contract at compile time: its
/// ``/TitanPolicies/ServiceManifest`` (every `distributed func` with its argument labels and
/// types, result, streaming, and the policies its attributes declare), its
/// ``/TitanPolicies/InterfaceHash``, and a dispatch table that runs a call on a local
/// instance by method index, without the runtime's per-call lookup of the target's mangled
/// name. The actor conforms to ``/TitanPolicies/ContractedService``.
///
/// ```swift
/// @ServiceContract
/// distributed actor Accounts: ProcessService {
///     @RateLimit(100, per: .seconds(1), key: "userID")
///     @Validate("amount", .range(1...10_000))
///     distributed func transfer(userID: String, amount: Int) -> Receipt { ... }
/// }
/// ```
///
/// On a distributed protocol that inherits ``/TitanPolicies/ServiceInterface``, it describes
/// the protocol's interface instead (manifest and hash, as defaults of the protocol), so that
/// a caller spawning a service by name as the protocol's `@Resolvable` stub has the process's
/// interface checked against it:
///
/// ```swift
/// @Resolvable @ServiceContract
/// protocol Greeting: DistributedActor, ServiceInterface where ActorSystem == ProcessActorSystem {
///     distributed func greet(_ name: String) -> String
/// }
/// ```
///
/// Misuse is a compile-time error: the macro on anything but a `distributed actor` or such a
/// protocol, or a policy that names a method or argument the actor does not have.
@attached(extension, conformances: ContractedService, names: named(manifest), named(interfaceHash), named(dispatch), named(policyKeys), named(heal))
public macro ServiceContract() = #externalMacro(module: "TitanMacrosPlugin", type: "ServiceContractMacro")
