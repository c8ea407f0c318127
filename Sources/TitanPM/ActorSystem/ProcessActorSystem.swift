import Distributed
import Glibc
import Synchronization

/// Where calls to the actors of one ``ProcessID`` go: a managed child process, or a pool
/// that picks a worker per call.
package protocol CallRoute: Sendable {
    /// The timeout for calls that do not set their own (see ``ProcessActorSystem/withCallTimeout(_:_:)``).
    var defaultCallTimeout: Duration? { get }

    /// Sends `frame` (a complete call but for its id) and returns the `reply` or `failure`
    /// frame; throws ``ProcessError`` when the call cannot complete.
    func call(_ frame: FrameBuilder, timeout: Duration?) async throws -> Frame

    /// The executor of the connection calls currently go over, if there is one connection.
    var affinityExecutor: (any TaskExecutor)? { get }
}

extension CallRoute {
    package var affinityExecutor: (any TaskExecutor)? { nil }
}

/// The distributed actor system of Titan: calls to actors in other processes travel as frames
/// over Unix-domain sockets; calls to actors in this process are ordinary actor calls.
///
/// Every process has one: a ``ProcessManager`` owns the parent's, and a child's is created by
/// ``ProcessManager/bootstrap()`` before it constructs its service.
public final class ProcessActorSystem: DistributedActorSystem, Sendable {
    public typealias ActorID = ProcessActorID
    public typealias SerializationRequirement = any Codable
    public typealias InvocationEncoder = ProcessInvocationEncoder
    public typealias InvocationDecoder = ProcessInvocationDecoder
    public typealias ResultHandler = ProcessResultHandler

    private struct WeakActor {
        weak var actor: (any DistributedActor)?
    }

    private struct LocalActors {
        var actors: [ProcessActorID: WeakActor] = [:]
        var reserved: Set<ProcessActorID> = []
        var nextInstance: UInt64 = 0
    }

    private struct Admission {
        var draining = false
        var inFlight = 0
        var drained: [UnsafeContinuation<Void, Never>] = []
    }

    /// The process id given to actors created in this process.
    public let processID: ProcessID
    /// The largest frame payload this process sends or accepts.
    public let maxFrameSize: Int

    private let local = Mutex(LocalActors())
    private let routes = Mutex<[ProcessID: any CallRoute]>([:])
    private let admission = Mutex(Admission())
    private let hostInfo: Mutex<Welcome>
    private let controlHandler = Mutex<(@Sendable ([UInt8]) async -> CallOutcome)?>(nil)
    /// Streams this process produces that no consumer has claimed yet.
    package let streams = StreamRegistry()

    /// The default largest frame: 64 MiB.
    public static let defaultMaxFrameSize = 64 << 20

    /// Creates a system whose local actors get ids in `processID`.
    public init(processID: ProcessID, maxFrameSize: Int = ProcessActorSystem.defaultMaxFrameSize) {
        self.processID = processID
        self.maxFrameSize = maxFrameSize
        hostInfo = Mutex(Welcome(pid: getpid(), process: processID, service: "", serviceVersion: ""))
    }

    // MARK: Per-call timeout

    /// The timeout for calls made inside ``withCallTimeout(_:_:)``; nil uses the callee's default.
    @TaskLocal package static var callTimeoutOverride: CallTimeout?

    package enum CallTimeout: Sendable {
        case after(Duration)
        case never
    }

    /// Runs `body` with every remote call in it bounded by `timeout` instead of the default
    /// from ``SpawnOptions/callTimeout``. A call that runs out throws ``ProcessError/timedOut(after:)``.
    public static func withCallTimeout<T>(
        _ timeout: Duration,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async rethrows -> T {
        try await $callTimeoutOverride.withValue(.after(timeout), operation: body, isolation: isolation)
    }

    /// Runs `body` with no timeout on its remote calls (they still fail if the process dies).
    public static func withoutCallTimeout<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async rethrows -> T {
        try await $callTimeoutOverride.withValue(.never, operation: body, isolation: isolation)
    }

    package static func effectiveTimeout(default fallback: Duration?) -> Duration? {
        switch callTimeoutOverride {
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
    /// running, has no single connection: `body` then runs as usual.
    public static func withAffinity<Act: DistributedActor, T>(
        to actor: Act,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async rethrows -> T where Act.ActorSystem == ProcessActorSystem {
        let executor = actor.actorSystem.route(for: actor.id.process)?.affinityExecutor
        return try await withTaskExecutorPreference(executor, isolation: isolation, operation: body)
    }

    // MARK: Codable

    package func makeEncoder() -> WireEncoder {
        WireEncoder(context: WireUserInfo(actorSystem: self))
    }

    package func makeDecoder(streams: StreamLink? = nil) -> WireDecoder {
        WireDecoder(context: WireUserInfo(actorSystem: self), streamLink: streams)
    }

    // MARK: Identity

    /// The id the next actor created in this task should take (the service a child hosts
    /// is instance 0; an in-process service gets the id its manager chose).
    @TaskLocal package static var presetID: ProcessActorID?

    public func assignID<Act>(_ actorType: Act.Type) -> ProcessActorID where Act: DistributedActor, Act.ID == ProcessActorID {
        local.withLock { local in
            if let preset = Self.presetID, !local.reserved.contains(preset), local.actors[preset]?.actor == nil {
                local.reserved.insert(preset)
                return preset
            }
            local.nextInstance += 1
            return ProcessActorID(process: processID, instance: local.nextInstance)
        }
    }

    public func actorReady<Act>(_ actor: Act) where Act: DistributedActor, Act.ID == ProcessActorID {
        local.withLock { local in
            local.reserved.remove(actor.id)
            local.actors[actor.id] = WeakActor(actor: actor)
        }
    }

    public func resignID(_ id: ProcessActorID) {
        local.withLock { local in
            local.reserved.remove(id)
            local.actors[id] = nil
        }
    }

    package func localActor(_ id: ProcessActorID) -> (any DistributedActor)? {
        local.withLock { $0.actors[id]?.actor }
    }

    public func resolve<Act>(id: ProcessActorID, as actorType: Act.Type) throws -> Act? where Act: DistributedActor, Act.ID == ProcessActorID {
        guard let found = localActor(id) else { return nil }
        guard let actor = found as? Act else {
            throw ProcessError.unknownActor(id)
        }
        return actor
    }

    // MARK: Routes

    package func register(route: any CallRoute, for process: ProcessID) {
        routes.withLock { $0[process] = route }
    }

    package func unregisterRoute(for process: ProcessID) {
        routes.withLock { _ = $0.removeValue(forKey: process) }
    }

    package func route(for process: ProcessID) -> (any CallRoute)? {
        routes.withLock { $0[process] }
    }

    // MARK: Outgoing calls

    public func makeInvocationEncoder() -> ProcessInvocationEncoder {
        ProcessInvocationEncoder(encoder: makeEncoder())
    }

    public func remoteCall<Act, Err, Res>(
        on actor: Act,
        target: RemoteCallTarget,
        invocation: inout ProcessInvocationEncoder,
        throwing: Err.Type,
        returning: Res.Type
    ) async throws -> Res where Act: DistributedActor, Act.ID == ProcessActorID, Err: Error, Res: Codable {
        let reply = try await send(to: actor.id, target: target, invocation: &invocation)
        do {
            return try makeDecoder(streams: reply.streams).decode(Res.self, from: reply.payload)
        } catch {
            throw ProcessError.invalidReply("\(Res.self) from \(target.identifier): \(error)")
        }
    }

    public func remoteCallVoid<Act, Err>(
        on actor: Act,
        target: RemoteCallTarget,
        invocation: inout ProcessInvocationEncoder,
        throwing: Err.Type
    ) async throws where Act: DistributedActor, Act.ID == ProcessActorID, Err: Error {
        _ = try await send(to: actor.id, target: target, invocation: &invocation)
    }

    private func send(to id: ProcessActorID, target: RemoteCallTarget, invocation: inout ProcessInvocationEncoder) async throws -> Frame {
        guard let route = route(for: id.process) else {
            throw ProcessError.unknownProcess(id.process)
        }
        invocation.finish(target: target, instance: id.instance, metadata: [])
        let reply = try await route.call(invocation.frame, timeout: Self.effectiveTimeout(default: route.defaultCallTimeout))
        guard reply.kind == .reply else {
            var reader = reply.reader
            throw RemoteFailure.read(from: &reader, decoder: makeDecoder())
        }
        return reply
    }

    // MARK: Hosting

    /// What this process tells callers in its `welcome` frame.
    package var welcome: Welcome { hostInfo.withLock { $0 } }

    package func setHostInfo(service: String, version: String) {
        hostInfo.withLock {
            $0.service = service
            $0.serviceVersion = version
        }
    }

    /// Installs the handler for `control` frames (health, graceful shutdown).
    package func setControlHandler(_ handler: @escaping @Sendable ([UInt8]) async -> CallOutcome) {
        controlHandler.withLock { $0 = handler }
    }

    package func handleControl(_ payload: [UInt8]) async -> CallOutcome {
        guard let handler = controlHandler.withLock({ $0 }) else {
            return .failure(ProcessError.unsupported("this process does not take control requests"))
        }
        return await handler(payload)
    }

    /// Serves calls on an accepted connection until it closes.
    package func serve(fd: Int32) {
        let server = CallServer(fd: fd, system: self)
        server.start { _ in }
    }

    /// Runs a received call against the local actor it names; `reply` gets the outcome.
    package func execute(_ message: CallMessage, streams: StreamLink? = nil, reply: @escaping @Sendable (CallOutcome) -> Void) async {
        let id = ProcessActorID(process: processID, instance: message.instance)
        guard let actor = localActor(id) else {
            reply(.failure(ProcessError.unknownActor(id)))
            return
        }
        var decoder = ProcessInvocationDecoder(message: message, decoder: makeDecoder(streams: streams))
        let target = message.target
        // The runtime reports a missing target through the handler, as if the target threw.
        let handler = ProcessResultHandler(reply: { outcome in
            if case .failure(let error as ExecuteDistributedTargetError) = outcome, error.errorCode == .targetAccessorNotFound {
                reply(.failure(ProcessError.unknownTarget(target)))
            } else {
                reply(outcome)
            }
        }, encoder: makeEncoder())
        do {
            try await executeDistributedTarget(
                on: actor,
                target: RemoteCallTarget(target),
                invocationDecoder: &decoder,
                handler: handler
            )
        } catch let error as ExecuteDistributedTargetError where error.errorCode == .targetAccessorNotFound {
            reply(.failure(ProcessError.unknownTarget(target)))
        } catch {
            reply(.failure(error))
        }
    }

    /// Counts a call in, unless the process is draining for shutdown.
    package func admitCall() -> Bool {
        admission.withLock { admission in
            guard !admission.draining else { return false }
            admission.inFlight += 1
            return true
        }
    }

    package func callFinished() {
        let waiters = admission.withLock { admission -> [UnsafeContinuation<Void, Never>] in
            admission.inFlight -= 1
            guard admission.draining, admission.inFlight == 0 else { return [] }
            defer { admission.drained.removeAll() }
            return admission.drained
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Refuses new calls from now on and returns once the calls already running have finished.
    package func drain() async {
        await withUnsafeContinuation { continuation in
            let done = admission.withLock { admission -> Bool in
                admission.draining = true
                if admission.inFlight == 0 { return true }
                admission.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
