import Distributed
import TitanActorSystem
import TitanCore
import TitanProcess

/// Discovery, dependencies and the event bus, from any process's actor system: a service uses
/// them through its `actorSystem`.
extension ProcessActorSystem {
    /// The mesh of this process: the manager's directory in a manager, the connection to the
    /// manager in a child started by one; nil anywhere else.
    private var mesh: Mesh? {
        if let directory = attachment(MeshDirectory.self) { return .manager(directory) }
        guard let endpoint = attachment(MeshEndpoint.self) else { return nil }
        return .child(attachment(ChildMesh.self) { ChildMesh(system: self, endpoint: endpoint) })
    }

    private enum Mesh {
        case manager(MeshDirectory)
        case child(ChildMesh)
    }

    /// Finds a running `S` whose version is in `version` (a semantic-version range such as
    /// `"^1.2"`, `">=2.0 <3"`; any by default) and returns a typed reference to it — a pool's
    /// reference for a pool — waiting up to `timeout` (nil: without bound) for one to start.
    ///
    /// Of several matches the highest version wins. In a child the reference calls the
    /// process directly over a connection of its own, not through the manager; when that
    /// process dies the calls in flight fail with ``/TitanCore/ProcessError/Code/processExited``
    /// and later calls reach it again once it has restarted. A child's calls to a pool go to
    /// its workers in turn (round robin), each over a connection of its own; a worker the
    /// pool replaced is left for the ones that run then.
    ///
    /// Throws ``DiscoveryError`` with code ``DiscoveryError/Code/notFound`` when none runs in
    /// time, ``DiscoveryError/Code/invalidVersion`` for a malformed range, and
    /// ``DiscoveryError/Code/noManager`` in a process without a manager.
    public func discover<S: ProcessService>(_ type: S.Type, version: String = "*", timeout: Duration? = .seconds(30)) async throws -> S {
        // A child applies the caller's side of the service's policies itself (in the manager
        // the process's own route does).
        let contract = try ContractSetup.make(S.self, options: SpawnOptions())
        let policies = { (route: ProcessID) in
            contract.hasCallerPolicies ? CallerPolicies(process: route, policies: contract.policies, breakers: true, clock: self.clock) { _ in } : nil
        }
        return try await discover(name: S.name, as: type, version: version, timeout: timeout, policies: policies)
    }

    /// Finds the service registered as `name` in the versions `version` admits and returns it
    /// as `type` (a service type, or the `$Protocol` stub of a distributed protocol); waits and
    /// throws as ``discover(_:version:timeout:)``.
    public func discover<Stub: DistributedActor>(name: String, as type: Stub.Type, version: String = "*", timeout: Duration? = .seconds(30)) async throws -> Stub where Stub.ActorSystem == ProcessActorSystem {
        try await discover(name: name, as: type, version: version, timeout: timeout) { _ in nil }
    }

    private func discover<Stub: DistributedActor>(
        name: String, as type: Stub.Type, version: String, timeout: Duration?,
        policies: (ProcessID) -> CallerPolicies?
    ) async throws -> Stub where Stub.ActorSystem == ProcessActorSystem {
        let range = try MeshDirectory.range(version)
        let route: ProcessID
        switch mesh {
        case .manager(let directory):
            route = try await directory.registry.discover(name, in: range, timeout: timeout).process
        case .child(let mesh):
            let peer = try await mesh.session().discover(name: name, range: "\(range)", timeout: timeout)
            mesh.route(to: peer, policies: policies(peer.route))
            route = peer.route
        case nil:
            throw DiscoveryError(.noManager, "this process was not started by a ProcessManager")
        }
        return try Stub.resolve(id: ProcessActorID(process: route, instance: 0), using: self)
    }

    /// A running `S` that the service hosted here declared in its
    /// ``/TitanProcess/ProcessService/dependencies``, in the versions it declared; waits and
    /// throws as ``discover(_:version:timeout:)``, and ``DiscoveryError/Code/dependencyNotRunning``
    /// if `S` is not among the declared dependencies.
    public func dependency<S: ProcessService>(_ type: S.Type, timeout: Duration? = .seconds(30)) async throws -> S {
        guard let declared = attachment(MeshEndpoint.self)?.dependencies.first(where: { $0.name == S.name }) else {
            throw DiscoveryError(.dependencyNotRunning, "\(S.name) is not a declared dependency of the service hosted here", members: [S.name])
        }
        return try await discover(type, version: declared.versionRange, timeout: timeout)
    }

    /// This process's event bus (see ``EventBus``). In a process without a manager, emitting
    /// and subscribing throw ``DiscoveryError/Code/noManager``.
    public var eventBus: EventBus {
        switch mesh {
        case .manager(let directory): directory.bus
        case .child(let mesh): mesh.bus
        case nil: attachment(EventBus.self) { EventBus(system: self, transport: NoTransport()) }
        }
    }
}

/// The bus of a process without a manager.
private struct NoTransport: EventTransport {
    func publish(_ event: BusEvent) async throws {
        throw DiscoveryError(.noManager, "this process was not started by a ProcessManager: its events go nowhere")
    }

    func subscribe(_ types: [String: TypeDemand], version: UInt64) async throws {
        throw DiscoveryError(.noManager, "this process was not started by a ProcessManager: no events reach it")
    }

    func startDelivering(to subscribers: LocalSubscribers) {}
}
