import Synchronization
import TitanCore
import TitanTelemetry

/// Records every call's count, errors by kind, duration and the calls in flight, per service
/// and method, into a ``/TitanTelemetry/MetricsRegistry`` (see ``/TitanTelemetry/TitanMetricNames``).
///
/// Served calls are recorded with `side="server"` and the service this process hosts; calls
/// made with `side="client"`, the callee's service as `resolve` names it, and the callee's
/// process id. A `ProcessManager` installs one in the parent and in each child when its
/// `ObservabilityOptions.metrics` is on.
public struct CallMetricsInterceptor: CallInterceptor, InlineCallInterceptor {
    /// What the calling side knows of a callee.
    public struct Callee: Sendable {
        /// The callee's service name.
        public var service: String
        /// The process (or pool) id calls go to.
        public var process: String

        /// A callee named `service`, in `process`.
        public init(service: String, process: String) {
            self.service = service
            self.process = process
        }
    }

    private let registry: MetricsRegistry
    private let service: String
    private let resolve: @Sendable (ProcessActorID) -> Callee?
    private let cache = InstrumentCache()

    /// Records into `registry`: served calls under `service` (this process's service), calls
    /// made under the service `resolve` names for the recipient (its type name if nil).
    public init(registry: MetricsRegistry, service: String, resolve: @escaping @Sendable (ProcessActorID) -> Callee? = { _ in nil }) {
        self.registry = registry
        self.service = service
        self.resolve = resolve
    }

    public func interceptIncoming(_ call: IncomingCall, next: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        try await measure(beginIncoming(call)) { try await next(call) }
    }

    public func interceptOutgoing(_ call: OutgoingCall, next: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        try await measure(beginOutgoing(call)) { try await next(call) }
    }

    package func beginIncoming(_ call: IncomingCall) -> InlineStep {
        let instruments = cache.instruments(for: InstrumentKey(target: call.target.identifier, process: nil)) { [registry, service] in
            CallInstruments(registry: registry, dimensions: [
                (TitanMetricNames.service, service),
                (TitanMetricNames.method, call.target.methodName),
                (TitanMetricNames.side, "server"),
            ])
        }
        return .observe(instruments.start())
    }

    package func beginOutgoing(_ call: OutgoingCall) -> InlineStep {
        let key = InstrumentKey(target: call.target.identifier, process: call.recipient.process)
        let instruments = cache.instruments(for: key) { [registry, resolve] in
            let callee = resolve(call.recipient) ?? Callee(service: call.target.typeName, process: call.recipient.process.rawValue)
            return CallInstruments(registry: registry, dimensions: [
                (TitanMetricNames.service, callee.service),
                (TitanMetricNames.method, call.target.methodName),
                (TitanMetricNames.side, "client"),
                (TitanMetricNames.process, callee.process),
            ])
        }
        return .observe(instruments.start())
    }

    package func end(_ observation: InlineObservation, error: (any Error)?) {
        // The chain hands back the observation this interceptor's own begin made: its state
        // is always a CallInstruments, and a checked cast would cost on every call.
        unsafeDowncast(observation.state, to: CallInstruments.self).end(observation, error: error)
    }

    /// Runs `body` as the chain runs an observed call (when this interceptor is called directly).
    private func measure(_ step: InlineStep, _ body: () async throws -> CallReply) async throws -> CallReply {
        guard case .observe(let observation) = step else { return try await body() }
        do {
            let reply = try await body()
            end(observation, error: nil)
            return reply
        } catch {
            end(observation, error: error)
            throw error
        }
    }

    /// The kind an error is counted under: a ``/TitanCore/ProcessError``'s code, else the error's type.
    public static func kind(of error: any Error) -> String {
        if let error = error as? ProcessError { return error.code.rawValue }
        return String(describing: type(of: error))
    }
}

/// A method, and for calls made the process called.
private struct InstrumentKey: Hashable, Sendable {
    var target: String
    var process: ProcessID?
}

/// The instruments of one method (and, calling, one callee), made once.
private final class InstrumentCache: Sendable {
    private struct Entries {
        var byKey: [InstrumentKey: CallInstruments] = [:]
        /// The entry found last: calls come in runs of the same method, and comparing a target
        /// with an equal one costs a fraction of hashing it (a mangled name is ~60 bytes).
        var last: (key: InstrumentKey, instruments: CallInstruments)?
    }

    private let entries = Mutex(Entries())

    func instruments(for key: InstrumentKey, make: () -> CallInstruments) -> CallInstruments {
        let found = entries.withLock { entries -> CallInstruments? in
            if let last = entries.last, last.key == key { return last.instruments }
            guard let found = entries.byKey[key] else { return nil }
            entries.last = (key, found)
            return found
        }
        if let found { return found }
        let made = make()
        return entries.withLock { entries in
            if let found = entries.byKey[key] { return found }
            // Keys come from peers' targets: keep the cache bounded.
            if entries.byKey.count > 4096 { entries.byKey.removeAll() }
            entries.byKey[key] = made
            entries.last = (key, made)
            return made
        }
    }
}

private final class CallInstruments: Sendable {
    let registry: MetricsRegistry
    let dimensions: [(String, String)]
    /// Calls, in flight and durations, in one object.
    let stats: CallStatsBox
    private let errors = Mutex<[String: CounterBox]>([:])

    init(registry: MetricsRegistry, dimensions: [(String, String)]) {
        self.registry = registry
        self.dimensions = dimensions
        stats = registry.callStats(dimensions)
    }

    /// A call starts: one more in flight.
    func start() -> InlineObservation {
        stats.started()
        return InlineObservation(state: self, start: SystemClock.shared.now)
    }

    /// The call `observation` started has ended: counted, timed, and its error's kind counted.
    func end(_ observation: InlineObservation, error: (any Error)?) {
        let now = SystemClock.shared.now.nanoseconds
        stats.ended(afterNanoseconds: Int64(clamping: now > observation.start.nanoseconds ? now - observation.start.nanoseconds : 0))
        if let error { errorCounter(CallMetricsInterceptor.kind(of: error)).increment(by: 1) }
    }

    private func errorCounter(_ kind: String) -> CounterBox {
        if let found = errors.withLock({ $0[kind] }) { return found }
        let counter = registry.counter(TitanMetricNames.callErrors, dimensions + [(TitanMetricNames.kind, kind)])
        errors.withLock { $0[kind] = counter }
        return counter
    }
}
