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
        try await run(from: 0, call, terminal)
    }

    func incoming(_ call: IncomingCall, terminal: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        try await run(from: 0, call, terminal)
    }

    private func run<Call: ChainedCall>(from start: Int, _ call: Call, _ terminal: (Call) async throws -> CallReply) async throws -> CallReply {
        var index = start
        inlined: while index < interceptors.count, let inline = inlined[index] {
            switch call.begin(at: inline) {
            case .pass:
                index += 1
            case .observe(let observation):
                do {
                    let reply = index + 1 == interceptors.count
                        ? try await terminal(call) : try await run(from: index + 1, call, terminal)
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
        return try await call.pass(through: interceptors[index]) { [index] next in
            try await run(from: index + 1, next, terminal)
        }
    }
}

/// A call as the chain runs it, on either side.
private protocol ChainedCall: Sendable {
    /// What `interceptor` does with this call before it goes on.
    func begin(at interceptor: any InlineCallInterceptor) -> InlineStep
    /// Runs this call through `interceptor`, which calls `next` to go on.
    func pass(through interceptor: any CallInterceptor, next: (Self) async throws -> CallReply) async throws -> CallReply
}

extension OutgoingCall: ChainedCall {
    fileprivate func begin(at interceptor: any InlineCallInterceptor) -> InlineStep {
        interceptor.beginOutgoing(self)
    }

    fileprivate func pass(through interceptor: any CallInterceptor, next: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        try await interceptor.interceptOutgoing(self, next: next)
    }
}

extension IncomingCall: ChainedCall {
    fileprivate func begin(at interceptor: any InlineCallInterceptor) -> InlineStep {
        interceptor.beginIncoming(self)
    }

    fileprivate func pass(through interceptor: any CallInterceptor, next: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        try await interceptor.interceptIncoming(self, next: next)
    }
}
