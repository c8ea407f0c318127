import Synchronization
import TitanActorSystem
import TitanCore

/// Where a child's calls to a pool go: to each of the pool's workers in turn, each over the
/// child's own connection to it (a ``PeerRoute`` per worker), never through the manager.
///
/// The workers are asked of the manager on the first call, and again when a worker turns out
/// to be gone for good (the pool replaced or retired it): the call then goes to another worker.
/// A worker that dies with calls in flight fails them with
/// ``/TitanCore/ProcessError/Code/processExited``, as any process's calls.
final class PoolPeerRoute: CallRoute {
    private struct State {
        var workers: [PeerRoute] = []
        var next = 0
    }

    private let pool: ProcessID
    private let mesh: ChildMesh
    private let policies: CallerPolicies?
    private let state = Mutex(State())

    init(pool: ProcessID, mesh: ChildMesh, policies: CallerPolicies?) {
        self.pool = pool
        self.mesh = mesh
        self.policies = policies
    }

    var defaultCallTimeout: Duration? { SpawnOptions().callTimeout }

    func call(_ call: OutgoingCall) async throws -> CallReply {
        try await policies.run(call) { try await deliver($0) }
    }

    private func deliver(_ call: OutgoingCall) async throws -> CallReply {
        var attempt = 0
        while true {
            let worker = try await nextWorker()
            do {
                return try await worker.call(call)
            } catch let error as ProcessError where (error.code == .notRunning || error.code == .unknownProcess) && attempt == 0 {
                // The worker is gone for good and the call never reached it: ask again.
                attempt += 1
                state.withLock { $0.workers = [] }
            }
        }
    }

    private func nextWorker() async throws -> PeerRoute {
        if let worker = state.withLock({ state -> PeerRoute? in
            guard !state.workers.isEmpty else { return nil }
            defer { state.next &+= 1 }
            return state.workers[state.next % state.workers.count]
        }) {
            return worker
        }
        let peers = try await mesh.session().workers(of: pool)
        guard !peers.isEmpty else { throw ProcessError.notRunning(pool, .starting) }
        let routes = peers.map { mesh.peerRoute(to: $0, policies: nil) }
        return state.withLock { state in
            if state.workers.isEmpty { state.workers = routes }
            defer { state.next &+= 1 }
            return state.workers[state.next % state.workers.count]
        }
    }
}
