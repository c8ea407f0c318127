import Synchronization
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

/// Where a child's calls to another process go: straight over a connection of its own to
/// that process, made on first use and again after the process restarts — never through the
/// manager.
///
/// When the connection ends (the process died), every call waiting on it fails at once with
/// ``/TitanCore/ProcessError/Code/processExited``; the next call asks `connect` for a new
/// one, which waits while the process restarts.
final class PeerRoute: CallRoute {
    private struct State {
        var client: CallClient?
        var connecting: Task<CallClient, any Error>?
    }

    let defaultCallTimeout: Duration?
    private let id: ProcessID
    private let state = Mutex(State())
    /// The caller's side of the callee's method policies (retry, circuit breaker), when its
    /// type declares them.
    private let policies: CallerPolicies?
    /// Makes a connection, telling the route when it ends.
    private let connect: @Sendable (_ onClose: @escaping @Sendable (CallClient) -> Void) async throws -> CallClient

    init(
        id: ProcessID,
        defaultCallTimeout: Duration?,
        policies: CallerPolicies? = nil,
        connect: @escaping @Sendable (_ onClose: @escaping @Sendable (CallClient) -> Void) async throws -> CallClient
    ) {
        self.id = id
        self.policies = policies
        self.defaultCallTimeout = defaultCallTimeout
        self.connect = connect
    }

    var affinityExecutor: (any TaskExecutor)? { state.withLock { $0.client }?.executor }

    func call(_ call: OutgoingCall) async throws -> CallReply {
        try await policies.run(call) { try await deliver($0) }
    }

    private func deliver(_ call: OutgoingCall) async throws -> CallReply {
        var attempt = 0
        while true {
            let client = try await currentClient()
            do {
                return try await client.call(call, reportNotSent: true)
            } catch let notSent as CallClient.NotSent {
                // The process died before the call left: it can go to the next incarnation.
                dropClient(client)
                attempt += 1
                if attempt > 1 { throw notSent.error }
            }
        }
    }

    /// The open connection, or a new one (one connection attempt at a time).
    func currentClient() async throws -> CallClient {
        // The common case, an open connection, without a task.
        if let client = state.withLock({ $0.client }) { return client }
        let task = state.withLock { state -> Task<CallClient, any Error> in
            if let client = state.client { return Task { client } }
            if let connecting = state.connecting { return connecting }
            let connecting = Task { [self] in
                try await connect { [weak self] client in self?.dropClient(client) }
            }
            state.connecting = connecting
            return connecting
        }
        do {
            let client = try await task.value
            state.withLock { state in
                if state.connecting == task {
                    state.connecting = nil
                    state.client = client
                }
            }
            return client
        } catch {
            state.withLock { state in if state.connecting == task { state.connecting = nil } }
            throw error
        }
    }

    private func dropClient(_ client: CallClient) {
        state.withLock { state in if state.client === client { state.client = nil } }
    }

    /// Connects to the process `introduction` names, as a caller `callerName` of `system`;
    /// when the connection ends its waiting calls fail with `processExited` for `route`.
    static func connect(
        to introduction: PeerIntroduction,
        route: ProcessID,
        system: ProcessActorSystem,
        callerName: String,
        timeout: Duration,
        onClose: @escaping @Sendable (CallClient) -> Void
    ) async throws -> CallClient {
        let (client, _) = try await CallClient.connect(
            to: introduction, maxFrameSize: system.maxFrameSize, timeout: timeout, callerName: callerName,
            system: system, clock: system.clock
        ) { client, reason in
            client.failAll(ProcessError(.processExited, "the connection to \(route) ended (\(reason)): the process exited", process: route))
            onClose(client)
        }
        return client
    }
}
