/// A service interface described at compile time by `@ServiceContract`: its manifest and
/// interface hash. Contracted actors conform; so does the stub `@Resolvable` generates for a
/// distributed protocol that inherits this one and carries `@ServiceContract`, which lets a
/// caller that spawns a service by name check the process's interface against its own.
///
/// ```swift
/// @Resolvable @ServiceContract
/// protocol Greeting: DistributedActor, ServiceInterface where ActorSystem == ProcessActorSystem {
///     distributed func greet(_ name: String) -> String
/// }
/// let greeter = try await pm.spawn(service: "greeter", as: $Greeting.self, options: ...)  // checked
/// ```
public protocol ServiceInterface {
    /// Every distributed method, its signature and its policies.
    static var manifest: ServiceManifest { get }

    /// The hash of the manifest's canonical interface text, computed by the macro.
    static var interfaceHash: InterfaceHash { get }
}

/// A service whose contract was generated at compile time by `@ServiceContract`: its
/// manifest, its interface hash, and a dispatch table that runs a call on a local instance
/// without looking the target up by its mangled name.
///
/// The dispatch table is indexed by a method's position in ``ServiceInterface/manifest``; the runtime maps a
/// call's target to that index once per target identifier (with
/// ``ServiceManifest/dispatchIndex(for:)``) and calls ``dispatch(method:on:arguments:result:)``
/// for every call after that.
public protocol ContractedService: ServiceInterface {
    /// Runs the method at `index` in ``ServiceInterface/manifest`` on `actor`: decodes its arguments from
    /// `arguments`, checks its `@Validate` rules (throwing ``PolicyError`` before the body
    /// runs, or on an invalid result), calls it, and hands the result to `result`.
    ///
    /// Throws what the method throws, what decoding throws, and ``DispatchError`` for an
    /// index with no table entry (generic methods: run them through
    /// `executeDistributedTarget`).
    static func dispatch<Arguments: DispatchArgumentDecoder, Result: DispatchResultSink>(
        method index: Int,
        on actor: Self,
        arguments: inout Arguments,
        result: Result
    ) async throws

    /// The policy keys of a call to the method at `index`, read from a copy of its
    /// arguments (decoding only those the keys name). Empty keys for methods without keyed
    /// policies.
    static func policyKeys<Arguments: DispatchArgumentDecoder>(
        method index: Int,
        arguments: inout Arguments
    ) throws -> PolicyKeys

    /// Runs the `@SelfHeal` healer of the method at `index` on `actor`; returns false if the
    /// method has none.
    static func heal(method index: Int, on actor: Self) async throws -> Bool
}

/// The dispatch table has no entry for a method index.
public struct DispatchError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    /// The index asked for.
    public var index: Int
    /// The service.
    public var service: String

    /// An index `service`'s table does not have.
    public init(index: Int, service: String) {
        self.index = index
        self.service = service
    }

    /// A readable form, for logs and messages.
    public var description: String {
        "\(service) has no dispatch-table entry \(index); run the call through executeDistributedTarget"
    }
}
