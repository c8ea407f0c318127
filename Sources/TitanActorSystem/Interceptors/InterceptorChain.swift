import TitanCore
import TitanWire
import TitanTransport

/// Runs a call through interceptors in order, the first outermost, ending in `terminal`.
///
/// ``InlineCallInterceptor``s run in line: one with nothing to do for a call is skipped, one
/// that observes it is told of its end here; only those that wrap the call get a layer.
struct InterceptorChain: Sendable {
    let interceptors: [any CallInterceptor]
    /// `interceptors[i] as? any InlineCallInterceptor`, cast once here rather than per call.
    private let inlined: [(any InlineCallInterceptor)?]

    init(interceptors: [any CallInterceptor]) {
        self.interceptors = interceptors
        inlined = interceptors.map { $0 as? any InlineCallInterceptor }
        wrapsCalls = inlined.contains { $0 == nil }
    }

    var isEmpty: Bool { interceptors.isEmpty }

    /// Whether an interceptor that is not an ``InlineCallInterceptor`` is installed: only such
    /// an interceptor reads a served call's arguments again or cancels its task, so only then
    /// need an ``IncomingCall`` keep its envelope and origin.
    let wrapsCalls: Bool

    func outgoing(_ call: OutgoingCall, terminal: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        try await outgoing(from: 0, call, terminal)
    }

    private func outgoing(from start: Int, _ call: OutgoingCall, _ terminal: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        var index = start
        inlined: while index < interceptors.count, let inline = inlined[index] {
            switch inline.beginOutgoing(call) {
            case .pass:
                index += 1
            case .observe(let observation):
                do {
                    let reply = index + 1 == interceptors.count
                        ? try await terminal(call) : try await outgoing(from: index + 1, call, terminal)
                    inline.end(observation, error: nil)
                    return reply
                } catch {
                    inline.end(observation, error: error)
                    throw error
                }
            case .wrap:
                break inlined
            }
        }
        guard index < interceptors.count else { return try await terminal(call) }
        return try await interceptors[index].interceptOutgoing(call) { [index] next in
            try await outgoing(from: index + 1, next, terminal)
        }
    }

    func incoming(_ call: IncomingCall, terminal: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        try await incoming(from: 0, call, terminal)
    }

    private func incoming(from start: Int, _ call: IncomingCall, _ terminal: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        var index = start
        inlined: while index < interceptors.count, let inline = inlined[index] {
            switch inline.beginIncoming(call) {
            case .pass:
                index += 1
            case .observe(let observation):
                do {
                    let reply = index + 1 == interceptors.count
                        ? try await terminal(call) : try await incoming(from: index + 1, call, terminal)
                    inline.end(observation, error: nil)
                    return reply
                } catch {
                    inline.end(observation, error: error)
                    throw error
                }
            case .wrap:
                break inlined
            }
        }
        guard index < interceptors.count else { return try await terminal(call) }
        return try await interceptors[index].interceptIncoming(call) { [index] next in
            try await incoming(from: index + 1, next, terminal)
        }
    }
}
