import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// The manager's part of the mesh: its registry of running services, the event broker, the
/// endpoint children connect to, and the manager's own event bus.
final class MeshDirectory: Sendable {
    let registry: ServiceRegistry
    let broker = EventBroker()
    let bus: EventBus
    private let endpoint = Mutex<MeshEndpointServer?>(nil)
    private let nextSession = Atomic<Int>(0)
    private let owner = Mutex(WeakManager())

    private struct WeakManager {
        weak var manager: ProcessManager?
    }

    /// The directory of the manager whose actor system is `system` (see ``bind(_:)``).
    init(system: ProcessActorSystem) {
        registry = ServiceRegistry(clock: system.clock)
        bus = EventBus(system: system, transport: BrokerTransport(broker: broker, key: system.processID))
    }

    /// Names the manager, once it exists.
    func bind(_ manager: ProcessManager) {
        owner.withLock { $0.manager = manager }
    }

    private var manager: ProcessManager? { owner.withLock { $0.manager } }

    /// Parses a version range, as a ``DiscoveryError/Code/invalidVersion`` error when it is not one.
    static func range(_ text: String) throws(DiscoveryError) -> VersionRange {
        do {
            return try VersionRange(parsing: text)
        } catch {
            throw DiscoveryError(.invalidVersion, "\(error)")
        }
    }

    /// The manager, and `registration` if the manager introduces it to children.
    private func reachable(_ registration: ServiceRegistration) throws -> ProcessManager {
        guard let manager else { throw DiscoveryError(.noManager, "the manager has shut down") }
        guard registration.reachableByChildren else {
            throw DiscoveryError(.notReachable, "\(registration) was spawned unreachable by other children", members: [registration.name])
        }
        return manager
    }

    /// How a child reaches `registration`: the process itself, or for a pool one of its workers
    /// (the child asks for all of them with ``workers(of:excluding:)`` when it calls), never
    /// the asking child itself.
    func peer(for registration: ServiceRegistration, excluding asking: ProcessID) throws -> MeshPeer {
        if registration.kind == .pool {
            guard var first = try workers(of: registration.process, excluding: asking).first else {
                throw ProcessError.notRunning(registration.process, .starting)
            }
            first.route = registration.process
            first.isPool = true
            return first
        }
        let manager = try reachable(registration)
        do {
            let introduction = try manager.introduction(to: registration.process)
            return MeshPeer(route: registration.process, name: registration.name, version: "\(registration.version)", introduction: introduction)
        } catch let error as ProcessError where error.code == .notRunning && manager.entry(registration.process) is InProcessService {
            throw ProcessError.unsupported("\(registration.name) runs inside the manager (isolation .inProcess): other processes cannot reach it")
        }
    }

    /// How a child reaches each running worker of pool `pool` (not itself), for a child that
    /// spreads its calls over them.
    func workers(of pool: ProcessID, excluding asking: ProcessID) throws -> [MeshPeer] {
        guard let registration = registry.registration(of: pool), registration.kind == .pool else {
            throw ProcessError.notRunning(pool, .stopped)
        }
        let manager = try reachable(registration)
        let workers = (manager.group(pool) as? any PoolControl)?.workers.filter { $0 != asking } ?? []
        return workers.compactMap { worker in
            (try? manager.introduction(to: worker)).map {
                MeshPeer(route: worker, name: registration.name, version: "\(registration.version)", introduction: $0)
            }
        }
    }

    /// The endpoint's address under `prefix`, started on first use; nil if it cannot listen
    /// (children then have no mesh, and say so when asked).
    func endpointAddress(prefix: String) -> String? {
        endpoint.withLock { endpoint in
            if let endpoint { return endpoint.address }
            guard let manager, let server = try? MeshEndpointServer(address: "\(prefix)/mesh", directory: self, manager: manager) else { return nil }
            endpoint = server
            return server.address
        }
    }

    /// A key for one connection's subscriptions that no restart of the same child reuses.
    func sessionKey(for process: ProcessID) -> ProcessID {
        ProcessID("\(process)#\(nextSession.wrappingAdd(1, ordering: .relaxed).oldValue)")
    }

    /// Stops accepting children's connections, ends the manager's subscriptions and fails the
    /// discoveries still waiting (the manager has shut down).
    func stop() {
        endpoint.withLock { $0 }?.stop()
        registry.close()
        if let key = (bus.transport as? BrokerTransport)?.key { broker.remove(key) }
        bus.subscribers.finishAll()
    }
}

/// The manager's bus goes straight into the broker.
final class BrokerTransport: EventTransport {
    let broker: EventBroker
    let key: ProcessID
    private let delivering = Mutex(false)

    init(broker: EventBroker, key: ProcessID) {
        self.broker = broker
        self.key = key
    }

    func publish(_ event: BusEvent) async throws {
        await broker.publish([event])
    }

    func subscribe(_ types: [String: TypeDemand], version: UInt64) async throws {
        broker.setSubscriptions(key, types, version: version)
    }

    func startDelivering(to subscribers: LocalSubscribers) {
        guard delivering.withLock({ started in
            defer { started = true }
            return !started
        }) else { return }
        let broker = self.broker
        let key = self.key
        Task.detached {
            while let delivery = await broker.next(for: key) {
                await subscribers.deliver(delivery)
            }
        }
    }
}

/// Where children connect to their manager: an abstract socket that admits only this
/// manager's children (the connecting process must be one, by SO_PEERCRED, and prove its
/// incarnation's secret), each served by a ``MeshSession`` of its own.
final class MeshEndpointServer: Sendable {
    let address: String
    private let listener: Listener
    /// The sessions alive, by connection, with the child each serves: their actor systems hold
    /// them only weakly.
    private let sessions = Mutex<[Int: (child: ProcessID, session: MeshSession)]>([:])
    /// The most connections one child may hold at once: each costs the manager a reader
    /// thread, and a child needs one (a new one after the manager's side ended).
    static let maxConnectionsPerChild = 4
    private let nextConnection = Atomic<Int>(0)

    init(address: String, directory: MeshDirectory, manager: ProcessManager) throws {
        self.address = address
        listener = try Listener(path: address, maxConnections: 4096, allowedUID: geteuid())
        listener.start { [weak self, weak manager, weak directory] fd in
            guard let self, let manager, let directory else {
                close(fd)
                return
            }
            self.admit(fd, manager: manager, directory: directory)
        }
    }

    private func admit(_ fd: Int32, manager: ProcessManager, directory: MeshDirectory) {
        guard let peer = UnixSocket.peerCredentials(fd), let child = manager.child(withPID: peer.pid) else {
            close(fd)
            listener.connectionClosed()
            return
        }
        let system = ProcessActorSystem(processID: MeshSession.processID, maxFrameSize: manager.actorSystem.maxFrameSize, clock: manager.actorSystem.clock)
        let key = directory.sessionKey(for: child.id)
        let session = ProcessActorSystem.$presetID.withValue(ProcessActorID(process: MeshSession.processID, instance: 0)) {
            MeshSession(actorSystem: system, manager: manager, peer: child.id, subscriberKey: key)
        }
        let connection = nextConnection.wrappingAdd(1, ordering: .relaxed).oldValue
        let admitted = sessions.withLock { sessions -> Bool in
            guard sessions.values.filter({ $0.child == child.id }).count < Self.maxConnectionsPerChild else { return false }
            sessions[connection] = (child.id, session)
            return true
        }
        guard admitted else {
            close(fd)
            listener.connectionClosed()
            return
        }
        system.serve(
            SocketConnection(fd: fd, maxFrameSize: system.maxFrameSize, handshakeFrameLimit: Hello.maxSize),
            authentication: .secret(child.secret, handshakeTimeout: .seconds(5))
        ) { [weak self, weak directory] in
            directory?.broker.remove(key)
            self?.sessions.withLock { _ = $0.removeValue(forKey: connection) }
            self?.listener.connectionClosed()
        }
    }

    func stop() {
        listener.stop()
    }
}
