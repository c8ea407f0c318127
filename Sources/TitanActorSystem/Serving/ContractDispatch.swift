import Distributed
import Glibc
import Synchronization
import TitanCore
import TitanPolicies
import TitanWire

/// How the serving side runs calls on actors of a `@ServiceContract` type: by method index in
/// its generated dispatch table instead of through `executeDistributedTarget`, which looks the
/// target up by its mangled name on every call.
///
/// A call's target is mapped to its index once per target identifier: the identifier is
/// demangled and matched against the manifest's signatures (``/TitanPolicies/ServiceManifest/dispatchIndex(for:)``);
/// a target with no entry (a generic method, or one this build does not know) keeps going
/// through `executeDistributedTarget`.
package protocol ContractDispatch: Sendable {
    /// The service's manifest.
    var manifest: ServiceManifest { get }

    /// The dispatch-table index of the target `identifier`, or nil to fall back.
    func methodIndex(for identifier: String) -> Int?

    /// Runs the method at `index` on `actor` (an actor of this contract's type).
    func run(method index: Int, on actor: any DistributedActor, arguments: inout ProcessInvocationDecoder, result: ProcessResultHandler) async throws

    /// The policy keys of a call to the method at `index`, read from its arguments.
    func policyKeys(method index: Int, arguments: inout ProcessInvocationDecoder) throws -> PolicyKeys

    /// Runs the `@SelfHeal` healer of the method at `index` on `actor`; false if it has none.
    func heal(method index: Int, on actor: any DistributedActor) async throws -> Bool
}

/// The dispatch table of one contracted actor type, with its target lookups cached.
final class ContractTable<Service: ContractedService>: ContractDispatch {
    let manifest: ServiceManifest
    /// Target identifier → index (nil: no table entry). Identifiers come from peers: bounded.
    private let indices = Mutex<[String: Int?]>([:])

    init() {
        manifest = Service.manifest
    }

    func methodIndex(for identifier: String) -> Int? {
        if let known = indices.withLock({ $0[identifier] }) { return known }
        let index = DemangledTarget(demangling: identifier).flatMap(manifest.dispatchIndex(for:))
        indices.withLock { indices in
            if indices.count >= 4096 { indices.removeAll() }
            indices[identifier] = .some(index)
        }
        return index
    }

    func run(method index: Int, on actor: any DistributedActor, arguments: inout ProcessInvocationDecoder, result: ProcessResultHandler) async throws {
        try await Service.dispatch(method: index, on: actor as! Service, arguments: &arguments, result: result)
    }

    func policyKeys(method index: Int, arguments: inout ProcessInvocationDecoder) throws -> PolicyKeys {
        try Service.policyKeys(method: index, arguments: &arguments)
    }

    func heal(method index: Int, on actor: any DistributedActor) async throws -> Bool {
        try await Service.heal(method: index, on: actor as! Service)
    }
}

/// One table per contracted actor type, made when its first actor becomes ready.
enum ContractTables {
    private static let tables = Mutex<[ObjectIdentifier: (any ContractDispatch)?]>([:])

    /// The table of `type`, or nil if it is not a `ContractedService`.
    static func table(for type: Any.Type) -> (any ContractDispatch)? {
        let key = ObjectIdentifier(type)
        if let known = tables.withLock({ $0[key] }) { return known }
        let table = (type as? any ContractedService.Type).map { make($0) }
        tables.withLock { $0[key] = .some(table) }
        return table
    }

    private static func make<Service: ContractedService>(_ type: Service.Type) -> any ContractDispatch {
        ContractTable<Service>()
    }
}

extension ProcessInvocationDecoder: DispatchArgumentDecoder {}
extension ProcessResultHandler: DispatchResultSink {}

extension DemangledTarget {
    /// Demangles a call target's identifier (the mangled name of a distributed thunk) with the
    /// runtime's demangler and reads it; nil if it is not a distributed thunk.
    init?(demangling identifier: String) {
        var name = identifier
        if !name.hasPrefix("$") { name = "$" + name }
        guard let demangled = Demangler.demangle(name) else { return nil }
        self.init(demangled)
    }
}
