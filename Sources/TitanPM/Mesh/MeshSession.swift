import Distributed
import TitanActorSystem
import TitanCore
import TitanProcess

/// The manager's side of one child's mesh connection: what a child asks its manager to find
/// services, reach them, and exchange events. One per connection, hosted by an actor system
/// of its own, so it knows which child it serves.
distributed actor MeshSession {
    typealias ActorSystem = ProcessActorSystem

    /// The process id of every session's system: a child resolves its session under it.
    static let processID = ProcessID("titan-mesh")

    private weak var manager: ProcessManager?
    /// The child served.
    private let peer: ProcessID
    /// The key of this connection's subscriptions in the broker.
    private let subscriberKey: ProcessID

    init(actorSystem: ProcessActorSystem, manager: ProcessManager, peer: ProcessID, subscriberKey: ProcessID) {
        self.actorSystem = actorSystem
        self.manager = manager
        self.peer = peer
        self.subscriberKey = subscriberKey
    }

    private func requireManager() throws -> ProcessManager {
        guard let manager else { throw DiscoveryError(.noManager, "the manager has shut down") }
        return manager
    }

    /// The best running `name` in `range` (waiting up to `timeout`), and how to reach it.
    distributed func discover(name: String, range: String, timeout: Duration?) async throws -> MeshPeer {
        let manager = try requireManager()
        let registration = try await manager.directory.registry.discover(name, in: try MeshDirectory.range(range), timeout: timeout)
        return try manager.directory.peer(for: registration, excluding: peer)
    }

    /// How to reach `route` (a process or pool) now, waiting up to `timeout` while it
    /// restarts.
    distributed func introduce(_ route: ProcessID, timeout: Duration?) async throws -> MeshPeer {
        let manager = try requireManager()
        let registration = try await manager.directory.registry.running(route, timeout: timeout)
        return try manager.directory.peer(for: registration, excluding: peer)
    }

    /// How to reach each running worker of pool `pool` now.
    distributed func workers(of pool: ProcessID) throws -> [MeshPeer] {
        try requireManager().directory.workers(of: pool, excluding: peer)
    }

    /// Queues the child's events for their subscribers, in order.
    distributed func publish(_ events: [BusEvent]) async throws {
        let broker = try requireManager().directory.broker
        await broker.publish(events)
    }

    /// The child now takes `types`, with what its subscribers ask for each.
    distributed func subscribe(_ types: [String: TypeDemand], version: UInt64) throws {
        try requireManager().directory.broker.setSubscriptions(subscriberKey, types, version: version)
    }

    /// The events for the child's subscriptions, as they are queued.
    distributed func deliveries() throws -> RemoteStream<BusDelivery> {
        let broker = try requireManager().directory.broker
        let key = subscriberKey
        return RemoteStream { continuation in
            while let delivery = await broker.next(for: key) {
                try await continuation.yield(delivery)
            }
        }
    }
}
