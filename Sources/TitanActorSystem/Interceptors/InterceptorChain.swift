import TitanCore
import TitanWire
import TitanTransport

/// Runs a call through interceptors in order, the first outermost, ending in `terminal`.
struct InterceptorChain: Sendable {
    let interceptors: [any CallInterceptor]

    var isEmpty: Bool { interceptors.isEmpty }

    func outgoing(_ call: OutgoingCall, terminal: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        try await outgoing(from: 0, call, terminal)
    }

    private func outgoing(from index: Int, _ call: OutgoingCall, _ terminal: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        guard index < interceptors.count else { return try await terminal(call) }
        return try await interceptors[index].interceptOutgoing(call) { next in
            try await outgoing(from: index + 1, next, terminal)
        }
    }

    func incoming(_ call: IncomingCall, terminal: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        try await incoming(from: 0, call, terminal)
    }

    private func incoming(from index: Int, _ call: IncomingCall, _ terminal: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        guard index < interceptors.count else { return try await terminal(call) }
        return try await interceptors[index].interceptIncoming(call) { next in
            try await incoming(from: index + 1, next, terminal)
        }
    }
}
