/// A circuit breaker as a pure state machine: closed (calls flow), open (calls fail fast),
/// half-open (probe calls test whether the callee has recovered).
///
/// Ask ``acquire(now:)`` before each call and report its outcome with
/// ``record(_:probe:now:)``; read the state changes with ``takeTransitions()`` to publish
/// them as events.
///
/// ```swift
/// var breaker = CircuitBreaker<ContinuousClock.Instant>(policy: CircuitBreakerPolicy(.consecutiveFailures(3)))
/// switch breaker.acquire(now: clock.now) {
/// case .rejected(let retryAfter): throw PolicyError.circuitOpen(retryAfter: retryAfter)
/// case .allowed, .probe: ...   // make the call, then record its outcome
/// }
/// ```
public struct CircuitBreaker<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// The breaker's state.
    public enum State: Sendable, Hashable {
        /// Calls flow; failures are counted.
        case closed
        /// Calls are refused until the instant, then a probe is let through.
        case open(until: Instant)
        /// Probe calls decide: enough successes close the circuit, a failure opens it again.
        case halfOpen
    }

    /// Whether a call may be made.
    public enum Permission: Sendable, Hashable {
        /// Make the call; report its outcome with `probe: false`.
        case allowed
        /// Make the call as the half-open probe; report its outcome with `probe: true`.
        case probe
        /// Do not make the call; a probe will be allowed after `retryAfter`.
        case rejected(retryAfter: Duration)
    }

    /// How a call ended.
    public enum Outcome: Sendable, Hashable {
        /// It succeeded, or failed in a way that says nothing about the callee's health.
        case success
        /// It failed in a way that counts against the callee.
        case failure
        /// It ended without a verdict (cancelled by the caller): it frees a probe's slot
        /// without counting either way.
        case abandoned
    }

    /// A change of state, for events and logs.
    public struct Transition: Sendable, Hashable {
        /// The state before.
        public var from: State
        /// The state after.
        public var to: State
        /// When it happened.
        public var at: Instant
    }

    /// The policy this breaker follows.
    public let policy: CircuitBreakerPolicy
    /// The current state (an open circuit whose time is up turns half-open at the next
    /// ``acquire(now:)``).
    public private(set) var state: State = .closed
    private var consecutiveFailures = 0
    private var window: OutcomeWindow<Instant>
    private var probeInFlight = false
    private var probeSuccesses = 0
    private var transitions: [Transition] = []

    /// A closed breaker following `policy`.
    public init(policy: CircuitBreakerPolicy) {
        self.policy = policy
        window = OutcomeWindow(length: policy.trip.window)
    }

    /// Whether a call may be made at `now`.
    public mutating func acquire(now: Instant) -> Permission {
        switch state {
        case .closed:
            return .allowed
        case .open(let until):
            guard now >= until else { return .rejected(retryAfter: now.duration(to: until)) }
            move(to: .halfOpen, at: now)
            return takeProbe()
        case .halfOpen:
            return takeProbe()
        }
    }

    /// Whether ``acquire(now:)`` would let a call through at `now`, without asking it (a
    /// pool uses this to skip workers whose circuit is open).
    public func permits(at now: Instant) -> Bool {
        switch state {
        case .closed: true
        case .open(let until): now >= until
        case .halfOpen: !probeInFlight
        }
    }

    /// Records how a call made under `acquire`'s permission ended (`probe` if it was
    /// ``Permission/probe``). Outcomes of calls that started in an earlier state are ignored.
    public mutating func record(_ outcome: Outcome, probe: Bool = false, now: Instant) {
        switch (state, probe) {
        case (.closed, false):
            recordClosed(outcome, now: now)
        case (.halfOpen, true):
            probeInFlight = false
            switch outcome {
            case .success:
                probeSuccesses += 1
                if probeSuccesses >= policy.probes { move(to: .closed, at: now) }
            case .failure:
                open(at: now)
            case .abandoned:
                break
            }
        default:
            break
        }
    }

    /// The state changes since the last call, oldest first.
    public mutating func takeTransitions() -> [Transition] {
        defer { transitions.removeAll() }
        return transitions
    }

    private mutating func takeProbe() -> Permission {
        guard !probeInFlight else { return .rejected(retryAfter: .zero) }
        probeInFlight = true
        return .probe
    }

    private mutating func recordClosed(_ outcome: Outcome, now: Instant) {
        guard outcome != .abandoned else { return }
        let failed = outcome == .failure
        consecutiveFailures = failed ? consecutiveFailures + 1 : 0
        window.record(failed: failed, at: now)
        if let limit = policy.trip.consecutiveFailures, consecutiveFailures >= limit {
            open(at: now)
        } else if let rate = policy.trip.errorRate {
            let (calls, failures) = window.totals(at: now)
            if calls >= policy.trip.minimumCalls, Double(failures) >= rate * Double(calls) {
                open(at: now)
            }
        }
    }

    private mutating func open(at now: Instant) {
        move(to: .open(until: now.advanced(by: policy.resetAfter)), at: now)
    }

    private mutating func move(to next: State, at now: Instant) {
        transitions.append(Transition(from: state, to: next, at: now))
        state = next
        consecutiveFailures = 0
        probeInFlight = false
        probeSuccesses = 0
        window.reset()
    }
}
