import CoreMetrics
import Synchronization
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanWire
import Tracing

/// Enforces, in the process that hosts a service, the method policies that belong there:
/// `@RateLimit`, `@Idempotent`, `@Cache` with `@CacheEvict` and `@CacheInvalidate`,
/// `@Timeout` (the method's task is cancelled at the deadline), `@SelfHeal`, `@Trace` and
/// `@Metric` (deferring to the process's telemetry when it records every call). (`@Validate`
/// runs inside the generated dispatch table; the circuit breaker, `@Retry` and the caller's
/// deadline are enforced where calls are made.)
///
/// The host installs it as the service's innermost interceptor when some method has such a
/// policy, from the manifest `@ServiceContract` generates and the policies given at spawn.
/// A call to a method without policies passes straight through.
///
/// For a call, in order: the policy keys are read from its arguments (only those the keys
/// name are decoded); the rate limit refuses it with ``/TitanPolicies/PolicyError/Code/rateLimited`` before
/// anything else runs; a repeat of an idempotent call is answered with the stored reply (a
/// concurrent one waits for it); a cached reply answers it; otherwise the method runs, under
/// its span and timer, bounded by its timeout, healed and run once more if it fails; after it
/// succeeds, the entries it evicts or invalidates are dropped.
package final class ServingPolicies: CallInterceptor {
    private let service: String
    private let system: ProcessActorSystem
    private let byIndex: [ServedMethod?]
    /// Whether the process's telemetry already counts and times every call.
    private let recordsCallMetrics: Bool
    private let byKey: [String: [ServedMethod]]
    /// Methods found by name for calls without a manifest index (services without a contract).
    private let byIdentifier = Mutex<[String: ServedMethod?]>([:])

    /// The policies of `service` in `system`, or nil when no method has one to enforce here.
    /// `manifest` is the service's (nil without `@ServiceContract`) with the policies given at
    /// spawn already applied; `policies` are those given at spawn, for a service without one.
    package init?(service: String, manifest: ServiceManifest?, policies: [String: MethodPolicies], system: ProcessActorSystem) {
        var methods: [ServedMethod] = []
        var byIndex: [ServedMethod?] = []
        if let manifest {
            for (index, method) in manifest.methods.enumerated() {
                let served = method.policies.hasServingPolicies
                    ? ServedMethod(key: method.key, index: index, policies: method.policies, clock: system.clock)
                    : nil
                byIndex.append(served)
                if let served { methods.append(served) }
            }
        } else {
            for (key, policies) in policies where policies.hasServingPolicies {
                methods.append(ServedMethod(key: key, index: nil, policies: policies, clock: system.clock))
            }
        }
        guard !methods.isEmpty else { return nil }
        self.service = service
        self.system = system
        self.byIndex = byIndex
        recordsCallMetrics = system.telemetry?.metrics ?? false
        byKey = Dictionary(grouping: methods, by: \.key)
    }

    /// Each cached method's hits, misses, evictions and expirations, by method key.
    package var cacheStatistics: [String: CacheStatistics] {
        var result: [String: CacheStatistics] = [:]
        for (key, methods) in byKey {
            for method in methods {
                guard let statistics = method.cacheStatistics else { continue }
                result[key] = statistics
            }
        }
        return result
    }

    package func interceptIncoming(_ call: IncomingCall, next: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        guard let method = method(for: call) else { return try await next(call) }
        let keys = method.needsKeys ? try policyKeys(of: call, method: method) : PolicyKeys()
        let clock = system.clock
        if case .limited(let retryAfter) = method.admit(key: keys.rateLimit, now: clock.now) {
            throw PolicyError.rateLimited(method: method.key, retryAfter: retryAfter)
        }
        guard let calls = method.idempotency else {
            return try await cachedOrRun(call, method, keys, next)
        }
        let key = call.metadata.idempotencyKey ?? keys.idempotency ?? argumentsKey(of: call)
        return try await calls.once(key, deadline: call.deadline) {
            try await cachedOrRun(call, method, keys, next)
        }
    }

    // MARK: Steps

    private func cachedOrRun(_ call: IncomingCall, _ method: ServedMethod, _ keys: PolicyKeys, _ next: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        guard let cache = method.policies.cache else { return try await run(call, method, keys, next) }
        let key = keys.cache ?? argumentsKey(of: call)
        if let reply = method.cachedReply(key, now: system.clock.now) {
            return CallReply(payload: reply, channel: nil)
        }
        let reply = try await run(call, method, keys, next)
        let tags = keys.cacheTags.isEmpty ? cache.tags.filter { !$0.contains("{") } : keys.cacheTags
        method.cache(reply.payload, key: key, tags: tags, now: system.clock.now)
        return reply
    }

    private func run(_ call: IncomingCall, _ method: ServedMethod, _ keys: PolicyKeys, _ next: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        let reply = try await observed(method) {
            try await bounded(call, method) {
                try await healing(call, method) { try await next(call) }
            }
        }
        applyCacheEffects(of: method, keys: keys)
        return reply
    }

    /// Runs `body` under the method's span and metrics.
    ///
    /// One call gets one server span and one set of metrics. When the process records
    /// telemetry (`ObservabilityOptions`, on by default), its interceptors, outside this one,
    /// already span, count and time every call: `@Trace` then names and marks that span, and
    /// `@Metric` adds nothing. Without them, the method alone gets its span and its counters.
    private func observed(_ method: ServedMethod, _ body: () async throws -> CallReply) async throws -> CallReply {
        let metric = recordsCallMetrics ? nil : method.policies.metric
        guard let trace = method.policies.trace else { return try await measured(method, metric, body) }
        if let span = CallTrace.serving {
            if let name = trace.name { span.operationName = name }
            span.attributes["rpc.service"] = service
            return try await measured(method, metric, body)
        }
        return try await withSpan(trace.name ?? method.key, ofKind: .server) { span in
            span.attributes["rpc.service"] = service
            span.attributes["rpc.method"] = method.key
            do {
                return try await measured(method, metric, body)
            } catch {
                span.setStatus(SpanStatus(code: .error, message: "\(error)"))
                throw error
            }
        }
    }

    private func measured(_ method: ServedMethod, _ metric: MetricPolicy?, _ body: () async throws -> CallReply) async throws -> CallReply {
        guard let metric else { return try await body() }
        let label = metric.name ?? "titan_method"
        let dimensions = [("service", service), ("method", method.key)]
        let start = ContinuousClock.now
        Counter(label: label + "_calls_total", dimensions: dimensions).increment()
        defer {
            let elapsed = ContinuousClock.now - start
            Timer(label: label + "_duration_seconds", dimensions: dimensions).recordNanoseconds(Int64(clamping: elapsed.wholeNanoseconds))
        }
        do {
            return try await body()
        } catch {
            Counter(label: label + "_errors_total", dimensions: dimensions).increment()
            throw error
        }
    }

    /// Runs `body`, cancelling its task when the method's timeout (or the caller's deadline,
    /// if sooner) passes; throws ``/TitanPolicies/PolicyError/Code/timedOut`` then.
    private func bounded(_ call: IncomingCall, _ method: ServedMethod, _ body: () async throws -> CallReply) async throws -> CallReply {
        guard let limit = method.policies.timeout?.limit else { return try await body() }
        let clock = system.clock
        let now = clock.now
        let deadline = min(call.deadline ?? .distantFuture, now.advanced(by: limit))
        guard deadline > now else { throw PolicyError.timedOut(method: method.key, after: limit) }
        let expiry = Expiry()
        let timer = clock.schedule(at: deadline) {
            expiry.fire()
            call.cancelTask()
        }
        defer { clock.cancel(timer) }
        let reply: CallReply
        do {
            reply = try await body()
        } catch {
            throw expiry.fired ? PolicyError.timedOut(method: method.key, after: limit) : error
        }
        // A method that ignored its cancellation still ran out of time: its caller has gone.
        if expiry.fired { throw PolicyError.timedOut(method: method.key, after: limit) }
        return reply
    }

    /// Runs `body`; when it fails, runs the method's healer and then `body` once more, up to
    /// the policy's rounds.
    private func healing(_ call: IncomingCall, _ method: ServedMethod, _ body: () async throws -> CallReply) async throws -> CallReply {
        guard let heal = method.policies.selfHeal, let index = method.index, let contract = call.contract else {
            return try await body()
        }
        var rounds = 0
        while true {
            do {
                return try await body()
            } catch {
                // Refusals by policy and cancellation are not the method failing.
                guard rounds < heal.maxAttempts, !(error is PolicyError), !(error is CancellationError), !Task.isCancelled,
                      let actor = system.localActor(call.recipient), try await contract.heal(method: index, on: actor)
                else { throw error }
                rounds += 1
            }
        }
    }

    /// Drops the cache entries a successful call of `method` evicts or invalidates.
    private func applyCacheEffects(of method: ServedMethod, keys: PolicyKeys) {
        for eviction in keys.evictions {
            for target in byKey[eviction.method] ?? [] { target.evict(eviction.key) }
        }
        // The generated keys list the tags of every @CacheInvalidate in order; without them
        // (policies given at spawn), tags are literal.
        var filled = keys.invalidatedTags[...]
        let templated = method.policies.cacheInvalidations.reduce(0) { $0 + $1.tags.count }
        for invalidation in method.policies.cacheInvalidations {
            var tags = invalidation.tags
            if filled.count >= templated && templated > 0 {
                tags = Array(filled.prefix(invalidation.tags.count))
                filled = filled.dropFirst(invalidation.tags.count)
            }
            let targets = invalidation.method.map { byKey[$0] ?? [] } ?? byKey.values.flatMap { $0 }
            for target in targets where target.policies.cache != nil {
                target.invalidate(matching: invalidation.pattern.map { GlobPattern($0) }, tags: tags)
            }
        }
    }

    // MARK: Lookups

    private func method(for call: IncomingCall) -> ServedMethod? {
        if let index = call.methodIndex, !byIndex.isEmpty {
            return index < byIndex.count ? byIndex[index] : nil
        }
        let identifier = call.target.identifier
        if let known = byIdentifier.withLock({ $0[identifier] }) { return known }
        let found = byKey[call.target.methodName]?.first
        byIdentifier.withLock { table in
            // Identifiers come from callers: keep the table bounded.
            if table.count >= 1024 { table.removeAll() }
            table[identifier] = .some(found)
        }
        return found
    }

    /// The keys the generated code reads from the call's arguments.
    private func policyKeys(of call: IncomingCall, method: ServedMethod) throws -> PolicyKeys {
        guard let index = method.index, let contract = call.contract, var arguments = system.argumentDecoder(for: call) else {
            return PolicyKeys()
        }
        return try contract.policyKeys(method: index, arguments: &arguments)
    }

    /// A key made of the call's encoded arguments, when no key was declared.
    private func argumentsKey(of call: IncomingCall) -> String {
        guard let arguments = call.envelope?.arguments else { return "" }
        return "#" + Hex.encode(arguments.bytes[arguments.offset..<arguments.end])
    }
}

/// Whether a method's deadline has passed, set by its timer.
private final class Expiry: Sendable {
    private let state = Atomic(false)

    func fire() { state.store(true, ordering: .releasing) }

    var fired: Bool { state.load(ordering: .acquiring) }
}
