import Distributed
import TitanCore
import TitanTransport
import TitanWire

extension ProcessActorSystem {
    // MARK: Per-call settings

    /// What the enclosing `with...` functions set for the calls of this task; one task-local
    /// value, so a call looks it up once.
    package struct CallSettings: Sendable {
        /// The timeout for calls made inside ``withCallTimeout(_:isolation:_:)``; nil uses the callee's default.
        package var timeout: CallTimeout?
        /// Metadata added to every call made inside ``withCallMetadata(_:isolation:_:)``.
        package var metadata: CallMetadata?
    }

    package enum CallTimeout: Sendable {
        case after(Duration)
        case never
    }

    @TaskLocal package static var callSettings = CallSettings()

    /// The metadata the enclosing `with...` functions add to this task's calls.
    package static var taskMetadata: CallMetadata? { callSettings.metadata }

    private static func with<T>(
        _ change: (inout CallSettings) -> Void,
        isolation: isolated (any Actor)?,
        _ body: () async throws -> T
    ) async rethrows -> T {
        var settings = callSettings
        change(&settings)
        return try await $callSettings.withValue(settings, operation: body, isolation: isolation)
    }

    /// Runs `body` with every remote call in it bounded by `timeout` instead of the default
    /// from `SpawnOptions.callTimeout`. A call that runs out throws ``/TitanCore/ProcessError/Code/timedOut``.
    /// The innermost setting wins; rethrows what `body` throws.
    public static func withCallTimeout<T>(
        _ timeout: Duration,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async rethrows -> T {
        try await with({ $0.timeout = .after(timeout) }, isolation: isolation, body)
    }

    /// Runs `body` with no timeout on its remote calls (they still fail if the process dies);
    /// no deadline travels with them. Rethrows what `body` throws.
    public static func withoutCallTimeout<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async rethrows -> T {
        try await with({ $0.timeout = .never }, isolation: isolation, body)
    }

    /// Runs `body` with `metadata` added to every remote call it makes (on top of metadata
    /// from enclosing calls of this function; inner entries win). Rethrows what `body` throws.
    public static func withCallMetadata<T>(
        _ metadata: CallMetadata,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async rethrows -> T {
        try await with({ settings in
            var merged = settings.metadata ?? CallMetadata()
            merged.merge(metadata)
            settings.metadata = merged
        }, isolation: isolation, body)
    }

    /// Runs `body` with `key` as the idempotency key of every remote call it makes: a service
    /// that keeps results by key runs the call once however often it is repeated. Rethrows
    /// what `body` throws.
    public static func withIdempotencyKey<T>(
        _ key: String,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async rethrows -> T {
        var metadata = CallMetadata()
        metadata.idempotencyKey = key
        return try await withCallMetadata(metadata, isolation: isolation, body)
    }

    /// The timeout for a call now: the task's override, else the callee's default.
    package static func effectiveTimeout(default fallback: Duration?) -> Duration? {
        effectiveTimeout(callSettings.timeout, default: fallback)
    }

    private static func effectiveTimeout(_ setting: CallTimeout?, default fallback: Duration?) -> Duration? {
        switch setting {
        case .after(let timeout): timeout
        case .never: nil
        case nil: fallback
        }
    }

    // MARK: Affinity

    /// Runs `body` on the thread that reads `actor`'s connection, for a loop of calls where
    /// latency matters more than anything else.
    ///
    /// A reply normally wakes a thread of the cooperative pool to resume its caller; inside
    /// `body` the caller resumes on the connection's reader thread itself, so a round trip
    /// costs one thread wake on each side, as a bare socket ping-pong does. `body` starts on a
    /// pool thread and moves to the reader thread with the first reply that finds it waiting
    /// (a reply can beat its caller's suspension), then stays there. `body` must not block
    /// (its work holds up every reply on that connection) and should not be isolated to an
    /// actor (an actor's code runs on the actor's executor). A pool, or a process that is not
    /// running, has no single connection: `body` then runs as usual. Rethrows what `body`
    /// throws.
    public static func withAffinity<Act: DistributedActor, T>(
        to actor: Act,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async rethrows -> T where Act.ActorSystem == ProcessActorSystem {
        let executor = actor.actorSystem.route(for: actor.id.process)?.affinityExecutor
        return try await withTaskExecutorPreference(executor, isolation: isolation, operation: body)
    }

    // MARK: Outgoing calls

    /// Called by the runtime at the start of each remote call, to record its arguments.
    public func makeInvocationEncoder() -> ProcessInvocationEncoder {
        ProcessInvocationEncoder(encoder: makeEncoder())
    }

    /// Called by the runtime for a `distributed func` with a result on a remote reference:
    /// sends the call where the actor's process id routes (a child, a pool, an in-process
    /// service) through the caller-side interceptors and waits for the reply.
    ///
    /// Throws the callee's error (a `Codable` error as its own type, any other as
    /// ``/TitanCore/ProcessError/Code/remote``), or a ``/TitanCore/ProcessError`` when the call
    /// cannot complete: ``/TitanCore/ProcessError/Code/processExited`` if the process dies,
    /// ``/TitanCore/ProcessError/Code/timedOut`` at the call's deadline,
    /// ``/TitanCore/ProcessError/Code/unknownProcess`` if no route is known for the process,
    /// ``/TitanCore/ProcessError/Code/invalidReply`` if the result cannot be decoded.
    public func remoteCall<Act, Err, Res>(
        on actor: Act,
        target: RemoteCallTarget,
        invocation: inout ProcessInvocationEncoder,
        throwing: Err.Type,
        returning: Res.Type
    ) async throws -> Res where Act: DistributedActor, Act.ID == ProcessActorID, Err: Error, Res: Codable {
        let reply = try await send(to: actor.id, target: target, invocation: &invocation)
        do {
            return try makeDecoder(channel: reply.channel).decode(Res.self, from: reply.payload)
        } catch {
            throw ProcessError.invalidReply("\(Res.self) from \(target.identifier): \(error)")
        }
    }

    /// Called by the runtime for a `distributed func` without a result on a remote
    /// reference; sends and fails as ``remoteCall(on:target:invocation:throwing:returning:)``.
    public func remoteCallVoid<Act, Err>(
        on actor: Act,
        target: RemoteCallTarget,
        invocation: inout ProcessInvocationEncoder,
        throwing: Err.Type
    ) async throws where Act: DistributedActor, Act.ID == ProcessActorID, Err: Error {
        _ = try await send(to: actor.id, target: target, invocation: &invocation)
    }

    private func send(to id: ProcessActorID, target: RemoteCallTarget, invocation: inout ProcessInvocationEncoder) async throws -> CallReply {
        guard let route = route(for: id.process) else {
            throw ProcessError.unknownProcess(id.process)
        }
        let settings = Self.callSettings
        var timeout = Self.effectiveTimeout(settings.timeout, default: route.defaultCallTimeout)
        var deadline = timeout.map { clock.deadline(after: $0) }
        // A call made while serving one never outlives the caller's patience for the outer call.
        if let outer = Self.currentCall?.deadline, deadline.map({ outer < $0 }) ?? true {
            deadline = outer
            timeout = clock.remaining(until: outer)
        }
        let call = OutgoingCall(
            target: CallTarget(identifier: target.identifier),
            recipient: id,
            metadata: settings.metadata ?? CallMetadata(),
            deadline: deadline,
            timeout: timeout,
            arguments: invocation.takeFrame()
        )
        let chain = currentChain
        if chain.isEmpty { return try await route.call(call) }
        return try await chain.outgoing(call) { call in try await route.call(call) }
    }
}
