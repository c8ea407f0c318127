import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// A child's part of the mesh: its connection to the manager's endpoint (made on first use),
/// the routes to the peers it discovered, and its event bus.
final class ChildMesh: Sendable {
    private let system: ProcessActorSystem
    private let managerRoute: PeerRoute
    private let callerName: String
    let bus: EventBus

    init(system: ProcessActorSystem, endpoint: MeshEndpoint) {
        self.system = system
        let callerName = "\(system.processID)"
        self.callerName = callerName
        // The manager is reached as any introduced process is: its pid must hold the socket
        // (SO_PEERCRED) before this incarnation's secret is proven in the hello.
        let manager = PeerIntroduction(process: MeshSession.processID, pid: endpoint.managerPID, socketPath: endpoint.address, secret: endpoint.secret)
        managerRoute = PeerRoute(id: MeshSession.processID, defaultCallTimeout: nil) { [system] onClose in
            do {
                let (client, _) = try await CallClient.connect(
                    to: manager, maxFrameSize: system.maxFrameSize, timeout: .seconds(5), callerName: callerName,
                    system: system, clock: system.clock
                ) { client, reason in
                    client.failAll(ProcessError.connectionLost("the manager's mesh connection ended (\(reason))"))
                    onClose(client)
                }
                return client
            } catch let error as ProcessError where error.code == .connectionLost {
                throw DiscoveryError(.noManager, "cannot reach the manager's mesh endpoint: \(error.message)")
            }
        }
        system.register(route: managerRoute, for: MeshSession.processID)
        let session: @Sendable () throws -> MeshSession = { [system] in try Self.session(of: system) }
        bus = EventBus(system: system, transport: SessionTransport(session: session))
    }

    /// The manager's session for this child.
    func session() throws -> MeshSession {
        try Self.session(of: system)
    }

    /// The reference to the manager's session in the child whose system is `system`.
    private static func session(of system: ProcessActorSystem) throws -> MeshSession {
        try MeshSession.resolve(id: ProcessActorID(process: MeshSession.processID, instance: 0), using: system)
    }

    /// Makes calls to `peer.route` go straight to the process `peer` names (and, after it
    /// restarts, to the one the manager introduces then) — or, for a pool, to each of its
    /// workers in turn — through `policies`.
    func route(to peer: MeshPeer, policies: CallerPolicies?) {
        guard system.route(for: peer.route) == nil else { return }
        let route: any CallRoute = if peer.isPool {
            PoolPeerRoute(pool: peer.route, mesh: self, policies: policies)
        } else {
            peerRoute(to: peer, policies: policies)
        }
        system.register(route: route, for: peer.route)
    }

    /// A route to the process `peer` names, connecting first to the incarnation `peer`
    /// introduces and afterwards to the one the manager introduces then.
    func peerRoute(to peer: MeshPeer, policies: CallerPolicies?) -> PeerRoute {
        let first = Mutex<MeshPeer?>(peer)
        let id = peer.route
        // The same default timeout as the manager's calls (SpawnOptions.callTimeout's default).
        return PeerRoute(id: id, defaultCallTimeout: SpawnOptions().callTimeout, policies: policies) { [self] onClose in
            let introduction: PeerIntroduction
            if let known = first.withLock({ current -> MeshPeer? in
                defer { current = nil }
                return current
            }) {
                introduction = known.introduction
            } else {
                introduction = try await session().introduce(id, timeout: .seconds(30)).introduction
            }
            return try await PeerRoute.connect(to: introduction, route: id, system: system, callerName: callerName, timeout: .seconds(5), onClose: onClose)
        }
    }
}

/// A child's bus publishes through its session, one batch at a time and in order, and takes
/// deliveries from a stream the session returns.
final class SessionTransport: EventTransport {
    /// The most events waiting to be sent before ``publish(_:)`` waits.
    static let outboxCapacity = 256

    private struct State {
        var outbox: [BusEvent] = []
        var sending = false
        var waiting: [UnsafeContinuation<Void, Never>] = []
        var delivering = false
    }

    private let state = Mutex(State())
    private let session: @Sendable () throws -> MeshSession

    init(session: @escaping @Sendable () throws -> MeshSession) {
        self.session = session
    }

    func publish(_ event: BusEvent) async throws {
        let session = try self.session()
        while true {
            let (accepted, startSender) = state.withLock { state -> (Bool, Bool) in
                guard state.outbox.count < Self.outboxCapacity else { return (false, false) }
                state.outbox.append(event)
                defer { state.sending = true }
                return (true, !state.sending)
            }
            if accepted {
                // Detached: the sender outlives the emitting task, and must not inherit the
                // deadline of a call that task may be serving.
                if startSender { Task.detached { await self.send(session) } }
                return
            }
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    guard state.outbox.count >= Self.outboxCapacity else { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    /// Sends what the outbox holds, batch after batch, until it is empty. A batch the manager
    /// cannot take (it is gone) is lost: delivery is at most once.
    private func send(_ session: MeshSession) async {
        while true {
            let (batch, waiting) = state.withLock { state -> ([BusEvent], [UnsafeContinuation<Void, Never>]) in
                let taken = (state.outbox, state.waiting)
                state.outbox = []
                state.waiting = []
                // The one sender ends only when there is nothing left to send.
                if taken.0.isEmpty { state.sending = false }
                return taken
            }
            for publisher in waiting { publisher.resume() }
            guard !batch.isEmpty else { return }
            _ = try? await session.publish(batch)
        }
    }

    func subscribe(_ types: [String: TypeDemand], version: UInt64) async throws {
        try await session().subscribe(types, version: version)
    }

    func startDelivering(to subscribers: LocalSubscribers) {
        guard state.withLock({ state in
            defer { state.delivering = true }
            return !state.delivering
        }) else { return }
        let session = self.session
        Task.detached {
            do {
                // A small window: a subscriber that slows publishers holds up few deliveries here.
                for try await delivery in try await session().deliveries().window(2) {
                    await subscribers.deliver(delivery)
                }
            } catch {}
            // The manager is gone: no more events will come.
            subscribers.finishAll()
        }
    }
}
