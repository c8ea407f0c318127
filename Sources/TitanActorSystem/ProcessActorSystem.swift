import Distributed
import Glibc
import Synchronization
import TitanCore
import TitanTelemetry
import TitanTransport
import TitanWire

/// The distributed actor system of Titan: calls to actors in other processes travel as frames
/// over Unix-domain sockets; calls to actors in this process are ordinary actor calls.
///
/// Every process has one: a `ProcessManager` owns the parent's, and a child's is created by
/// `ProcessManager.bootstrap()` before it constructs its service. Every remote call passes
/// the system's ``CallInterceptor``s on both sides.
///
/// You rarely call it directly: the compiler calls its `DistributedActorSystem` methods
/// for every `distributed func` call on a reference, and the static functions below set
/// per-call options for a block of code:
///
/// ```swift
/// try await ProcessActorSystem.withCallTimeout(.milliseconds(200)) {
///     try await calc.add(1, 2)            // fails with ProcessError code .timedOut after 200 ms
/// }
/// ```
public final class ProcessActorSystem: DistributedActorSystem, Sendable {
    /// Actors are named by the process that hosts them and an instance number within it.
    public typealias ActorID = ProcessActorID
    /// Arguments, results and errors that cross processes must be `Codable`; the compiler
    /// checks every `distributed func` against it.
    public typealias SerializationRequirement = any Codable
    /// Writes a call's arguments straight into the outgoing frame.
    public typealias InvocationEncoder = ProcessInvocationEncoder
    /// Reads a received call's arguments from its frame.
    public typealias InvocationDecoder = ProcessInvocationDecoder
    /// Keeps a served call's outcome for the reply.
    public typealias ResultHandler = ProcessResultHandler

    /// A class, not a struct: every served call looks its actor up, and copying a struct out
    /// of the table copies its weak reference (atomic operations on the actor's side table)
    /// and its existential; a class is one retain.
    private final class WeakActor: Sendable {
        weak let actor: (any DistributedActor)?
        /// The dispatch table of a `@ServiceContract` actor.
        let contract: (any ContractDispatch)?

        init(actor: any DistributedActor, contract: (any ContractDispatch)?) {
            self.actor = actor
            self.contract = contract
        }
    }

    private struct LocalActors {
        var actors: [ProcessActorID: WeakActor] = [:]
        var reserved: Set<ProcessActorID> = []
        var nextInstance: UInt64 = 0
    }

    /// The process id given to actors created in this process.
    public let processID: ProcessID
    /// The largest frame payload this process sends or accepts.
    public let maxFrameSize: Int
    /// The clock that times this system's calls.
    public let clock: any RuntimeClock

    private let local = Mutex(LocalActors())
    private let routes = Mutex<[ProcessID: any CallRoute]>([:])
    private let chain = Mutex(InterceptorChain(interceptors: []))
    let admission = Mutex(Admission())
    private let hostInfo: Mutex<Welcome>
    let telemetryBox = Mutex<ProcessTelemetry?>(nil)
    /// The serving side of the manager's connection, which cancellations from the control
    /// channel reach.
    private let managerServer = Mutex(WeakServer())
    /// Streams this process produces that no consumer has claimed yet.
    package let streams: StreamRegistry
    /// What layers above keep per system (the mesh endpoint of a child, its event bus), by type.
    private let attachments = Mutex<[ObjectIdentifier: any Sendable]>([:])

    /// The default largest frame: 64 MiB.
    public static let defaultMaxFrameSize = 64 << 20

    /// Creates a system whose local actors get ids in `processID`, timing its calls with `clock`.
    ///
    /// A `ProcessManager` and `ProcessManager.bootstrap()` create the systems a program
    /// needs; create one yourself only to host actors outside a manager (a test of a layer).
    public init(processID: ProcessID, maxFrameSize: Int = ProcessActorSystem.defaultMaxFrameSize, clock: any RuntimeClock = SystemClock.shared) {
        self.processID = processID
        self.maxFrameSize = maxFrameSize
        self.clock = clock
        streams = StreamRegistry(clock: clock)
        hostInfo = Mutex(Welcome(pid: getpid(), process: processID, service: "", serviceVersion: ""))
    }

    // MARK: Interceptors

    /// Adds `interceptor` after those already installed: it sees every call this process
    /// makes (``CallInterceptor/interceptOutgoing(_:next:)``) and every call it serves
    /// (``CallInterceptor/interceptIncoming(_:next:)``) from now on.
    public func addInterceptor(_ interceptor: any CallInterceptor) {
        chain.withLock { $0 = InterceptorChain(interceptors: $0.interceptors + [interceptor]) }
    }

    /// The interceptors installed, in the order they run.
    public var interceptors: [any CallInterceptor] {
        chain.withLock { $0.interceptors }
    }

    var currentChain: InterceptorChain { chain.withLock { $0 } }

    // MARK: Codable

    package func makeEncoder() -> WireEncoder {
        WireEncoder(context: WireUserInfo(actorSystem: self))
    }

    package func makeDecoder(channel: (any WireChannel)? = nil) -> WireDecoder {
        WireDecoder(context: WireUserInfo(actorSystem: self), channel: channel)
    }

    // MARK: Identity

    /// The id the next actor created in this task should take (the service a child hosts
    /// is instance 0; an in-process service gets the id its manager chose).
    @TaskLocal package static var presetID: ProcessActorID?

    /// Called by the runtime when a distributed actor is created in this process: its id in
    /// ``processID``, with the next free instance number (the service a child hosts gets
    /// instance 0).
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

    /// Called by the runtime once a local actor is initialised: from now on calls that
    /// arrive for its id reach it. The system holds it weakly.
    public func actorReady<Act>(_ actor: Act) where Act: DistributedActor, Act.ID == ProcessActorID {
        let contract = ContractTables.table(for: Act.self)
        local.withLock { local in
            local.reserved.remove(actor.id)
            local.actors[actor.id] = WeakActor(actor: actor, contract: contract)
        }
    }

    /// Called by the runtime when a local actor is deinitialised: calls for `id` then fail
    /// with ``/TitanCore/ProcessError/Code/unknownActor``.
    public func resignID(_ id: ProcessActorID) {
        local.withLock { local in
            local.reserved.remove(id)
            local.actors[id] = nil
        }
    }

    package func localActor(_ id: ProcessActorID) -> (any DistributedActor)? {
        local.withLock { $0.actors[id]?.actor }
    }

    /// The local actor `id` and, for a `@ServiceContract` actor, its dispatch table.
    package func localTarget(_ id: ProcessActorID) -> (actor: any DistributedActor, contract: (any ContractDispatch)?)? {
        local.withLock { local in
            guard let entry = local.actors[id], let actor = entry.actor else { return nil }
            return (actor, entry.contract)
        }
    }

    /// Called by `Act.resolve(id:using:)`: the local actor with `id` if this process hosts
    /// it, or nil, which makes the runtime create a remote reference whose calls go through
    /// ``remoteCall(on:target:invocation:throwing:returning:)``.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/unknownActor`` if the local actor with `id` is not
    /// an `Act`.
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

    // MARK: Attachments

    /// Keeps `value` with this system, replacing the one of the same type.
    package func attach<T: Sendable>(_ value: T) {
        attachments.withLock { $0[ObjectIdentifier(T.self)] = value }
    }

    /// The value of type `T` kept with this system, if any.
    package func attachment<T: Sendable>(_ type: T.Type) -> T? {
        attachments.withLock { $0[ObjectIdentifier(T.self)] as? T }
    }

    /// The value of type `T` kept with this system, made by `make` (under the lock, once) if
    /// there is none yet.
    package func attachment<T: Sendable>(_ type: T.Type, orMake make: () -> T) -> T {
        attachments.withLock { attachments in
            if let found = attachments[ObjectIdentifier(T.self)] as? T { return found }
            let made = make()
            attachments[ObjectIdentifier(T.self)] = made
            return made
        }
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

    /// Remembers `server` as the one serving the manager's calls.
    func setManagerServer(_ server: CallServer) {
        managerServer.withLock { $0.server = server }
    }

    /// Cancels call `id` of the manager's connection, if it is running.
    package func cancelManagerCall(_ id: UInt64) {
        managerServer.withLock { $0.server }?.cancel(id)
    }
}

/// A reference to a server that does not keep it alive.
struct WeakServer: Sendable {
    weak var server: CallServer?
}
