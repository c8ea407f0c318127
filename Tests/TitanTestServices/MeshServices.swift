import Distributed
import Glibc
import Synchronization
import TitanPM
import TitanActorSystem
import TitanProcess
import TitanTransport

/// Tells a method which process holds the other end of the connection its call came on: an
/// interceptor sees the call's connection (the runtime keeps it for interceptors that wrap calls).
struct CallerPIDInterceptor: CallInterceptor {
    @TaskLocal static var pid: Int32 = -1

    func interceptIncoming(_ call: IncomingCall, next: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        let connection = call.origin?.server.connection as? SocketConnection
        let pid = connection.flatMap { UnixSocket.peerCredentials($0.fd)?.pid } ?? -1
        return try await Self.$pid.withValue(pid) { try await next(call) }
    }
}

/// A service other children discover and call directly.
public distributed actor MeshGreeter: ProcessService {
    public static let name = "mesh-greeter"
    public static let version = "1.2.0"
    public static var interceptors: [any CallInterceptor] { [CallerPIDInterceptor()] }

    private var holding = 0
    private var holdWaiters: [(Int, CheckedContinuation<Void, Never>)] = []

    public distributed func pid() -> Int32 { getpid() }

    public distributed func greet(_ who: String) -> String { "hello \(who) from \(getpid())" }

    /// The OS process at the other end of the connection this call arrived on.
    public distributed func callerPID() -> Int32 {
        CallerPIDInterceptor.pid
    }

    /// Never returns by itself: a call in flight until the process dies or the caller gives up.
    public distributed func hold() async throws {
        holding += 1
        let ready = holdWaiters.filter { $0.0 <= holding }
        holdWaiters.removeAll { $0.0 <= holding }
        for (_, waiter) in ready { waiter.resume() }
        try await Task.sleep(for: .seconds(3600))
    }

    /// Returns once `count` calls of ``hold()`` are in flight here.
    public distributed func waitUntilHolding(_ count: Int) async {
        if holding >= count { return }
        await withCheckedContinuation { holdWaiters.append((count, $0)) }
    }
}

/// A child that discovers ``MeshGreeter`` and calls it directly.
public distributed actor MeshCaller: ProcessService {
    public static let name = "mesh-caller"

    private var greeter: MeshGreeter?
    private var holds: Task<[String], Never>?

    private func theGreeter() throws -> MeshGreeter {
        guard let greeter else { throw DiscoveryError(.notFound, "call find first") }
        return greeter
    }

    /// Discovers a greeter in `version`; returns the process id it resolved to.
    public distributed func find(version: String, timeout: Duration) async throws -> String {
        let found = try await actorSystem.discover(MeshGreeter.self, version: version, timeout: timeout)
        greeter = found
        return found.id.process.rawValue
    }

    public distributed func greet(_ who: String) async throws -> String {
        try await theGreeter().greet(who)
    }

    public distributed func greeterPID() async throws -> Int32 {
        try await theGreeter().pid()
    }

    /// The pid the greeter sees at the other end of this process's calls.
    public distributed func callerPIDSeenByGreeter() async throws -> Int32 {
        try await theGreeter().callerPID()
    }

    /// Starts `count` calls that the greeter holds; ``holdOutcomes()`` reports how they ended.
    public distributed func startHolds(_ count: Int) throws {
        let greeter = try theGreeter()
        holds = Task {
            await withTaskGroup(of: String.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        do {
                            try await greeter.hold()
                            return "returned"
                        } catch let error as ProcessError {
                            return error.code.rawValue
                        } catch {
                            return "\(type(of: error))"
                        }
                    }
                }
                var outcomes: [String] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
        }
    }

    /// How the calls of ``startHolds(_:)`` ended (their error codes), once all have.
    public distributed func holdOutcomes() async -> [String] {
        await holds?.value ?? []
    }

    /// The pids that answered `count` calls, in order.
    public distributed func greeterPIDs(_ count: Int) async throws -> [Int32] {
        var pids: [Int32] = []
        for _ in 0..<count { pids.append(try await theGreeter().pid()) }
        return pids
    }

    /// Calls the greeter's ``MeshGreeter/hold()`` with `timeout`; returns the error code it failed with.
    public distributed func holdWithTimeout(_ timeout: Duration) async throws -> String {
        let greeter = try theGreeter()
        do {
            try await ProcessActorSystem.withCallTimeout(timeout) { try await greeter.hold() }
            return "returned"
        } catch let error as ProcessError {
            return error.code.rawValue
        }
    }

    /// Discovers a ``PolicyLab`` and calls its `@Retry` method `flaky`: the retries are this
    /// process's, as a caller's.
    public distributed func flakyThroughDiscovery(_ id: String) async throws -> [String] {
        try await actorSystem.discover(PolicyLab.self, timeout: .seconds(10)).flaky(id)
    }

    /// The latency of `count` calls in a row, in nanoseconds.
    public distributed func measureGreets(_ count: Int) async throws -> [Int64] {
        let greeter = try theGreeter()
        var samples: [Int64] = []
        samples.reserveCapacity(count)
        let clock = ContinuousClock()
        for _ in 0..<count {
            let start = clock.now
            _ = try await greeter.greet("bench")
            let elapsed = clock.now - start
            samples.append(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        return samples
    }
}

/// The bottom of a dependency chain: checkout → inventory → ledger.
public distributed actor DepLedger: ProcessService {
    public static let name = "dep-ledger"
    public static let version = "1.4.0"
    public distributed func balance() -> Int { 40 }
}

/// Depends on ``DepLedger``, and calls it through `actorSystem.dependency`.
public distributed actor DepInventory: ProcessService {
    public static let name = "dep-inventory"
    public static let version = "2.1.3"
    public static var dependencies: [ServiceDependency] { [.on(DepLedger.self, "^1.2")] }

    public distributed func stock() async throws -> Int {
        try await actorSystem.dependency(DepLedger.self).balance() + 1
    }
}

/// Depends on ``DepInventory``; gets its reference while it is configured.
public distributed actor DepCheckout: ProcessService {
    public static let name = "dep-checkout"
    public static var dependencies: [ServiceDependency] { [.on(DepInventory.self, "^2.1")] }

    private var inventory: DepInventory?

    public func configure(_ configuration: NoConfiguration) async throws {
        inventory = try await actorSystem.dependency(DepInventory.self, timeout: .seconds(10))
    }

    public distributed func total() async throws -> Int {
        guard let inventory else { return -1 }
        return try await inventory.stock() * 2
    }
}

/// Three services whose dependencies go round: A → B → C → A.
public distributed actor CycleA: ProcessService {
    public static let name = "cycle-a"
    public static var dependencies: [ServiceDependency] { [.on(CycleB.self)] }
}

public distributed actor CycleB: ProcessService {
    public static let name = "cycle-b"
    public static var dependencies: [ServiceDependency] { [.on(CycleC.self)] }
}

public distributed actor CycleC: ProcessService {
    public static let name = "cycle-c"
    public static var dependencies: [ServiceDependency] { [.on(CycleA.self)] }
}

/// The event the bus tests send: who published it, and its place in that publisher's sequence.
public struct MeshTick: Codable, Sendable, Hashable {
    public var publisher: String
    public var sequence: Int

    public init(publisher: String, sequence: Int) {
        self.publisher = publisher
        self.sequence = sequence
    }
}

/// Sent after a run of ticks: a subscriber that sees it has been offered every tick before it.
public struct MeshMarker: Codable, Sendable, Hashable {
    public var publisher: String

    public init(publisher: String) {
        self.publisher = publisher
    }
}

/// Subscribes to ticks with a given buffer and overflow policy, and reads them on request.
public distributed actor EventSink: ProcessService {
    public static let name = "event-sink"

    private var ticks: EventSubscription<MeshTick>?
    private var markers: EventSubscription<MeshMarker>?

    /// Subscribes (returning once the manager delivers to this process); `overflow` is
    /// `dropOldest`, `dropNewest` or `slowPublisher`.
    public distributed func subscribe(bufferSize: Int, overflow: String) async throws {
        let policy: EventOverflow = switch overflow {
        case "dropNewest": .dropNewest
        case "slowPublisher": .slowPublisher
        default: .dropOldest
        }
        let ticks = try await actorSystem.eventBus.subscribe(to: MeshTick.self, bufferSize: bufferSize, overflow: policy)
        self.ticks = ticks
        markers = try await actorSystem.eventBus.subscribe(to: MeshMarker.self, bufferSize: 64, overflow: .slowPublisher)
    }

    /// Reads `count` ticks, waiting for them.
    public distributed func take(_ count: Int) async -> [MeshTick] {
        var taken: [MeshTick] = []
        guard var iterator = ticks?.makeAsyncIterator() else { return [] }
        while taken.count < count, let tick = await iterator.next() { taken.append(tick) }
        return taken
    }

    /// Waits for the next marker, then reads the ticks buffered by then.
    public distributed func takeBufferedAfterMarker() async -> [MeshTick] {
        var iterator = markers?.makeAsyncIterator()
        _ = await iterator?.next()
        return await take(ticks?.buffered ?? 0)
    }

    public distributed func dropped() -> Int { ticks?.dropped ?? -1 }

    private var second: EventSubscription<MeshTick>?

    /// A second subscription to ticks in this process.
    public distributed func subscribeAgain() async throws {
        second = try await actorSystem.eventBus.subscribe(to: MeshTick.self, bufferSize: 10_000)
    }

    /// Reads `count` ticks from the second subscription.
    public distributed func takeFromSecond(_ count: Int) async -> [MeshTick] {
        var taken: [MeshTick] = []
        guard var iterator = second?.makeAsyncIterator() else { return [] }
        while taken.count < count, let tick = await iterator.next() { taken.append(tick) }
        return taken
    }
}

/// Publishes ticks.
public distributed actor EventSource: ProcessService {
    public static let name = "event-source"

    private var emitted = 0

    /// Emits ticks 0..<count as `tag`, in order, then a marker.
    public distributed func publish(_ count: Int, tag: String) async throws {
        for sequence in 0..<count {
            try await actorSystem.eventBus.emit(MeshTick(publisher: tag, sequence: sequence))
            emitted += 1
        }
        try await actorSystem.eventBus.emit(MeshMarker(publisher: tag))
    }

    /// How many ticks ``publish(_:tag:)`` has emitted so far.
    public distributed func emittedCount() -> Int { emitted }
}

/// A child that opens connections to its manager's mesh endpoint itself, as a hostile child
/// could, to see how many the manager admits.
public distributed actor MeshProbe: ProcessService {
    public static let name = "mesh-probe"

    private var clients: [CallClient] = []

    /// Opens `count` connections (each with the handshake, proving this child's secret); returns
    /// how many the manager admitted.
    public distributed func openMeshConnections(_ count: Int) async -> Int {
        guard let endpoint = actorSystem.attachment(MeshEndpoint.self) else { return -1 }
        var admitted = 0
        for _ in 0..<count {
            guard let fd = try? UnixSocket.connect(path: endpoint.address) else { continue }
            let connection = SocketConnection(fd: fd, maxFrameSize: 1 << 20)
            do {
                let (client, _) = try await CallClient.connect(
                    over: connection, timeout: .seconds(5), callerName: "probe", proof: endpoint.secret.bytes
                ) { _, _ in }
                clients.append(client)
                admitted += 1
            } catch {
                connection.close()
            }
        }
        return admitted
    }
}
