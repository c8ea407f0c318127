import Synchronization
import TitanActorSystem
import TitanCore
import TitanPolicies

/// The calling side of method policies for the calls to one managed process or pool:
/// `@Timeout` bounds each attempt, `@CircuitBreaker` fails calls fast without sending them
/// while the callee keeps failing, and `@Retry` tries a call again when its failure allows.
///
/// An interceptor on the route of one callee (not the whole actor system), so that calls to
/// services without policies pass nothing extra, and each process has its own breakers. A
/// pool keeps a breaker per worker in its routing instead (`breakers: false` here).
///
/// Retry never repeats a call that may have run unless the method is `@Idempotent`; every
/// attempt of an idempotent call carries the same idempotency key (the caller's, or one made
/// here), so the callee runs it at most once even when an attempt's reply is lost.
final class CallerPolicies: CallInterceptor {
    private let process: ProcessID
    private let methods: [String: CalledMethod]
    private let byIdentifier = Mutex<[String: CalledMethod?]>([:])
    private let clock: any RuntimeClock
    private let emit: @Sendable (PolicyEvent) -> Void

    /// The caller's side of `policies` (by method key) for calls to `process`, or nil when no
    /// method has a policy enforced by callers.
    init?(process: ProcessID, policies: [String: MethodPolicies], breakers: Bool, clock: any RuntimeClock, emit: @escaping @Sendable (PolicyEvent) -> Void) {
        var methods: [String: CalledMethod] = [:]
        for (key, policies) in policies where policies.retry != nil || policies.timeout != nil || (breakers && policies.circuitBreaker != nil) {
            methods[key] = CalledMethod(key: key, policies: policies, breaker: breakers ? policies.circuitBreaker : nil)
        }
        guard !methods.isEmpty else { return nil }
        self.process = process
        self.methods = methods
        self.clock = clock
        self.emit = emit
    }

    func interceptOutgoing(_ call: OutgoingCall, next: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        guard let method = method(for: call) else { return try await next(call) }
        var call = call
        if method.planner?.isIdempotent == true, call.metadata.idempotencyKey == nil {
            call.metadata.idempotencyKey = Self.makeIdempotencyKey()
        }
        var attempt = 1
        while true {
            do {
                return try await send(call, method, next)
            } catch {
                guard let planner = method.planner, let failure = FailureKind(classifying: error) else { throw error }
                let remaining = call.deadline.map { clock.remaining(until: $0) }
                switch planner.decide(afterAttempt: attempt, failure: failure, retryAfter: (error as? PolicyError)?.retryAfter, remaining: remaining) {
                case .retry(let delay):
                    if delay > .zero { try await clock.sleep(for: delay) }
                    attempt += 1
                case .stop:
                    throw error
                }
            }
        }
    }

    /// One attempt: bounded by the method's timeout, through its breaker.
    private func send(_ call: OutgoingCall, _ method: CalledMethod, _ next: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        var call = call
        var limit: Duration?
        if let timeout = method.policies.timeout?.limit {
            let deadline = clock.deadline(after: timeout)
            if call.deadline.map({ deadline < $0 }) ?? true {
                call.deadline = deadline
                call.timeout = timeout
                limit = timeout
            }
        }
        let probe = try admit(method)
        do {
            let reply = try await next(call)
            record(method, .success, probe: probe)
            return reply
        } catch {
            let outcome: CircuitBreaker<ClockInstant>.Outcome = FailureKind(classifying: error).map { $0.countsAgainst(error) ? .failure : .success } ?? .abandoned
            record(method, outcome, probe: probe)
            if let limit, (error as? ProcessError)?.code == .timedOut {
                throw PolicyError.timedOut(method: method.key, after: limit)
            }
            throw error
        }
    }

    /// Asks the method's breaker; throws ``/TitanPolicies/PolicyError/Code/circuitOpen`` while it is open.
    /// Returns whether the call is the half-open probe.
    private func admit(_ method: CalledMethod) throws(PolicyError) -> Bool {
        guard method.hasBreaker else { return false }
        let (permission, transitions) = method.withBreaker { $0.acquire(now: clock.now) }
        publish(transitions, method)
        switch permission {
        case .allowed?, nil: return false
        case .probe?: return true
        case .rejected(let retryAfter)?: throw PolicyError.circuitOpen(method: method.key, retryAfter: retryAfter)
        }
    }

    private func record(_ method: CalledMethod, _ outcome: CircuitBreaker<ClockInstant>.Outcome, probe: Bool) {
        guard method.hasBreaker else { return }
        let (_, transitions) = method.withBreaker { $0.record(outcome, probe: probe, now: clock.now) }
        publish(transitions, method)
    }

    private func publish(_ transitions: [CircuitBreaker<ClockInstant>.Transition], _ method: CalledMethod) {
        for transition in transitions {
            emit(PolicyEvent(transition: transition, process: process, method: method.key))
        }
    }

    private func method(for call: OutgoingCall) -> CalledMethod? {
        let identifier = call.target.identifier
        if let known = byIdentifier.withLock({ $0[identifier] }) { return known }
        let found = methods[call.target.methodName]
        byIdentifier.withLock { $0[identifier] = .some(found) }
        return found
    }

    /// A key no other call has: 128 random bits.
    private static func makeIdempotencyKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return "retry-" + String(high, radix: 16) + String(low, radix: 16)
    }
}

/// One method's caller-side policies and its circuit breaker.
private final class CalledMethod: Sendable {
    let key: String
    let policies: MethodPolicies
    let planner: RetryPlanner?
    let hasBreaker: Bool
    private let breaker: Mutex<CircuitBreaker<ClockInstant>?>

    init(key: String, policies: MethodPolicies, breaker: CircuitBreakerPolicy?) {
        self.key = key
        self.policies = policies
        planner = policies.retry.map { RetryPlanner(policy: $0, isIdempotent: policies.isIdempotent) }
        hasBreaker = breaker != nil
        self.breaker = Mutex(breaker.map { CircuitBreaker(policy: $0) })
    }

    /// Runs `body` on the breaker under its lock; returns its result and the state changes.
    func withBreaker<T>(_ body: (inout CircuitBreaker<ClockInstant>) -> T) -> (T?, [CircuitBreaker<ClockInstant>.Transition]) {
        breaker.withLock { breaker in
            guard breaker != nil else { return (nil, []) }
            let result = body(&breaker!)
            return (result, breaker!.takeTransitions())
        }
    }
}

extension PolicyEvent {
    /// The event of a circuit breaker's state change.
    init(transition: CircuitBreaker<ClockInstant>.Transition, process: ProcessID, method: String?) {
        switch transition.to {
        case .open(let until):
            self.init(.circuitOpened, process: process, method: method, retryAfter: transition.at.duration(to: until))
        case .halfOpen:
            self.init(.circuitHalfOpened, process: process, method: method)
        case .closed:
            self.init(.circuitClosed, process: process, method: method)
        }
    }
}

extension Optional where Wrapped == CallerPolicies {
    /// Sends `call` through these policies to `deliver`, or straight to `deliver` when there
    /// are none: the caller's side of every route (a process, a pool, an in-process service,
    /// a child's peer).
    func run(_ call: OutgoingCall, _ deliver: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        guard let policies = self else { return try await deliver(call) }
        return try await policies.interceptOutgoing(call, next: deliver)
    }
}
