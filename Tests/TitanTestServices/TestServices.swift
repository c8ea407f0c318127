import Distributed
import Glibc
import Synchronization
import TitanPM
import TitanPMMacros

// Services the tests spawn. They live in a library so that `titan-test-host` (the "other
// executable") hosts exactly the same types as the re-executed test binary.

public struct Point: Codable, Sendable, Hashable {
    public var x: Double
    public var y: Double
    public var label: String?

    public init(x: Double, y: Double, label: String? = nil) {
        self.x = x
        self.y = y
        self.label = label
    }
}

public enum MathError: Error, Codable, Sendable, Hashable {
    case divisionByZero(dividend: Int)
    case overflow
}

/// An error that is deliberately not Codable.
public struct OpaqueFailure: Error, CustomStringConvertible {
    public var detail: String
    public var description: String { "opaque failure: \(detail)" }
}

public distributed actor Calculator: ProcessService {
    public static let name = "calculator"
    public static let version = "1.2.3"

    private var calls = 0

    public distributed func add(_ a: Int, _ b: Int) -> Int {
        calls += 1
        return a + b
    }

    public distributed func divide(_ a: Int, by b: Int) throws -> Int {
        guard b != 0 else { throw MathError.divisionByZero(dividend: a) }
        return a / b
    }

    public distributed func failOpaquely(_ detail: String) throws {
        throw OpaqueFailure(detail: detail)
    }

    public distributed func scalars(_ b: Bool, _ i8: Int8, _ u16: UInt16, _ i32: Int32, _ u64: UInt64, _ f: Float, _ d: Double, _ s: String) -> String {
        "\(b) \(i8) \(u16) \(i32) \(u64) \(f) \(d) \(s)"
    }

    public distributed func mirror(_ point: Point) -> Point {
        Point(x: -point.x, y: -point.y, label: point.label.map { "mirrored \($0)" })
    }

    public distributed func sum(_ values: [Int]) -> Int { values.reduce(0, +) }

    public distributed func points(_ n: Int) -> [Point] {
        (0..<n).map { Point(x: Double($0), y: Double($0 * 2), label: $0.isMultiple(of: 2) ? "p\($0)" : nil) }
    }

    public distributed func maybe(_ value: Int?) -> String? { value.map { "got \($0)" } }

    public distributed func reverse(_ bytes: [UInt8]) -> [UInt8] { bytes.reversed() }

    public distributed func bytes(count: Int) -> [UInt8] { [UInt8](repeating: 7, count: count) }

    public distributed func echo<Value: Codable & Sendable>(_ value: Value) -> Value { value }

    public distributed func pair<A: Codable & Sendable, B: Codable & Sendable>(_ a: A, _ b: B) -> [String] {
        ["\(A.self)=\(a)", "\(B.self)=\(b)"]
    }

    public distributed func callCount() -> Int { calls }

    public distributed func pid() -> Int32 { getpid() }

    public distributed func sleep(milliseconds: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }

    /// Traps, like a force-unwrap of nil would.
    public distributed func crash() {
        fatalError("crash requested by the test")
    }

    /// Starts `/bin/sleep 1000` as a plain child of this process (in its process group) and
    /// returns its pid: a process the service started itself.
    public distributed func startSleeper() -> Int32 {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("1000"), nil]
        defer { for pointer in argv { free(pointer) } }
        guard posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0 else { return -1 }
        return pid
    }

    /// Sends `signal` to this process (SIGKILL: dies at once, without a word).
    public distributed func raise(_ signal: Int32) {
        Glibc.raise(signal)
    }

    public distributed func exit(code: Int32) {
        Glibc.exit(code)
    }

    public distributed func environment(_ key: String) -> String? {
        getenv(key).map { String(cString: $0) }
    }

    public distributed func workingDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        return getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? ""
    }

    public distributed func arguments() -> [String] { CommandLine.arguments }
}

public struct StoreConfiguration: Codable, Sendable, Hashable {
    public var label: String
    public var limits: [String: Int]
    /// Where the shutdown hook records that it ran.
    public var shutdownMarker: String?
    public var failConfigure: Bool

    public init(label: String, limits: [String: Int] = [:], shutdownMarker: String? = nil, failConfigure: Bool = false) {
        self.label = label
        self.limits = limits
        self.shutdownMarker = shutdownMarker
        self.failConfigure = failConfigure
    }
}

public struct ConfigurationRejected: Error, Codable, Sendable {
    public var reason: String
}

/// A service with a configuration, a shutdown hook and a health check.
public distributed actor KeyValueStore: ProcessService {
    public typealias Configuration = StoreConfiguration
    public static let name = "kv-store"

    private var configuration = StoreConfiguration(label: "unset")
    private var values: [String: String] = [:]

    public func configure(_ configuration: StoreConfiguration) async throws {
        if configuration.failConfigure { throw ConfigurationRejected(reason: "asked to fail") }
        self.configuration = configuration
    }

    public func shutdown() async {
        guard let marker = configuration.shutdownMarker else { return }
        let text = "shutdown hook ran with \(values.count) values\n"
        let fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    public func health() async -> HealthStatus {
        values.count > (configuration.limits["maxValues"] ?? .max)
            ? HealthStatus(.degraded, message: "over the value limit", details: ["values": "\(values.count)"])
            : .healthy
    }

    public distributed func currentConfiguration() -> StoreConfiguration { configuration }

    public distributed func set(_ key: String, _ value: String) { values[key] = value }

    public distributed func get(_ key: String) -> String? { values[key] }

    public distributed func pid() -> Int32 { getpid() }
}

/// A protocol-only view of a service, for parents that do not link the service's type; its
/// contract lets them check the process's interface against it.
@Resolvable
@ServiceContract
public protocol Greeting: DistributedActor, ServiceInterface where ActorSystem == ProcessActorSystem {
    distributed func greet(_ name: String) -> String
}

public distributed actor Greeter: Greeting, ProcessService {
    public static let name = "greeter"

    public distributed func greet(_ name: String) -> String {
        "hello \(name) from pid \(getpid())"
    }
}

public struct StreamFailure: Error, Codable, Sendable, Hashable {
    public var after: Int

    public init(after: Int) {
        self.after = after
    }
}

/// What a ``Streamer``'s producers did, as seen in the child.
public struct ProducerReport: Codable, Sendable, Hashable {
    /// Elements yielded by the tracked producer so far.
    public var produced: Int
    /// The most elements the tracked producer ever had waiting to be sent.
    public var maxBuffered: Int
    /// Whether the tracked producer saw cancellation.
    public var cancelled: Bool
    /// Whether the tracked producer has stopped (returned, threw, or was cancelled).
    public var stopped: Bool
}

/// Producer-side bookkeeping shared between a service and the tasks of its streams.
final class ProducerTracker: Sendable {
    private struct State {
        var report = ProducerReport(produced: 0, maxBuffered: 0, cancelled: false, stopped: false)
        var stopWaiters: [CheckedContinuation<ProducerReport, Never>] = []
    }

    private let state = Mutex(State())

    func yielded(buffered: Int) {
        state.withLock {
            $0.report.produced += 1
            $0.report.maxBuffered = max($0.report.maxBuffered, buffered)
        }
    }

    func stopped(cancelled: Bool) {
        let (report, waiters) = state.withLock { state in
            state.report.stopped = true
            state.report.cancelled = cancelled
            defer { state.stopWaiters = [] }
            return (state.report, state.stopWaiters)
        }
        for waiter in waiters { waiter.resume(returning: report) }
    }

    func reset() {
        state.withLock { $0.report = ProducerReport(produced: 0, maxBuffered: 0, cancelled: false, stopped: false) }
    }

    var snapshot: ProducerReport { state.withLock { $0.report } }

    /// Returns once the tracked producer has stopped.
    func whenStopped() async -> ProducerReport {
        await withCheckedContinuation { continuation in
            let report = state.withLock { state -> ProducerReport? in
                if state.report.stopped { return state.report }
                state.stopWaiters.append(continuation)
                return nil
            }
            if let report { continuation.resume(returning: report) }
        }
    }
}

/// A service that streams in both directions.
public distributed actor Streamer: ProcessService {
    public static let name = "streamer"

    private let tracker = ProducerTracker()

    public distributed func numbers(upTo n: Int) -> RemoteStream<Int> {
        RemoteStream { out in
            for i in 0..<n { try await out.yield(i) }
        }
    }

    /// Counts forever (or up to `limit`), recording what it produced and how it stopped.
    public distributed func tracked(limit: Int = .max) -> RemoteStream<Int> {
        let tracker = self.tracker
        tracker.reset()
        return RemoteStream { out in
            do {
                var i = 0
                while i < limit {
                    try await out.yield(i)
                    tracker.yielded(buffered: out.buffered)
                    i += 1
                }
                tracker.stopped(cancelled: false)
            } catch is CancellationError {
                tracker.stopped(cancelled: true)
                throw CancellationError()
            }
        }
    }

    public distributed func report() -> ProducerReport { tracker.snapshot }

    /// Waits until the tracked producer has stopped, then reports.
    public distributed func reportWhenStopped() async -> ProducerReport { await tracker.whenStopped() }

    public distributed func failing(after n: Int) -> RemoteStream<Int> {
        RemoteStream { out in
            for i in 0..<n { try await out.yield(i) }
            throw StreamFailure(after: n)
        }
    }

    public distributed func words(_ count: Int) -> RemoteStream<Point> {
        RemoteStream(elements: (0..<count).map { Point(x: Double($0), y: 0, label: "w\($0)") })
    }

    public distributed func doubled(_ input: RemoteStream<Int>) -> RemoteStream<Int> {
        RemoteStream(input.map { $0 * 2 })
    }

    public distributed func sum(_ input: RemoteStream<Int>) async throws -> Int {
        var total = 0
        for try await value in input { total += value }
        return total
    }

    /// Returns the stream it was given: the child relays it back to the caller.
    public distributed func relay(_ input: RemoteStream<String>) -> RemoteStream<String> { input }

    public distributed func ping() -> String { "pong" }

    /// Streams this process returned that no consumer has claimed.
    public distributed func unclaimedStreams() -> Int { actorSystem.streams.unclaimed }
}

/// What a ``PoolWorkerService`` call reports about where it ran.
public struct WorkReceipt: Codable, Sendable, Hashable {
    public var pid: Int32
    /// Calls this worker process had started before this one.
    public var sequence: Int
    public var value: Int
}

/// A pool worker whose speed, health and CPU use a test can set per process.
public distributed actor PoolWorkerService: ProcessService {
    public static let name = "pool-worker"

    private var delay: Duration = .zero
    private var healthy = true
    private var sequence = 0

    public distributed func work(_ value: Int) async throws -> WorkReceipt {
        let receipt = WorkReceipt(pid: getpid(), sequence: sequence, value: value)
        sequence += 1
        if delay > .zero { try await Task.sleep(for: delay) }
        return receipt
    }

    /// Sleeps `milliseconds` regardless of the configured delay.
    public distributed func hold(milliseconds: Int) async throws -> WorkReceipt {
        let receipt = WorkReceipt(pid: getpid(), sequence: sequence, value: milliseconds)
        sequence += 1
        try await Task.sleep(for: .milliseconds(milliseconds))
        return receipt
    }

    /// Keeps a CPU busy for `milliseconds`.
    public distributed func burn(milliseconds: Int) -> Int32 {
        spin(milliseconds: milliseconds) == 0 ? -1 : getpid()
    }

    public distributed func setDelay(milliseconds: Int) { delay = .milliseconds(milliseconds) }

    public distributed func setHealthy(_ healthy: Bool) { self.healthy = healthy }

    public func health() async -> HealthStatus {
        healthy ? .healthy : HealthStatus(.unhealthy, message: "told to be unhealthy")
    }

    public distributed func pid() -> Int32 { getpid() }
}

/// Every service the test host can run by name.
public let allTestServices: [any ProcessService.Type] = [
    Calculator.self, KeyValueStore.self, Greeter.self, Streamer.self, PoolWorkerService.self, TraceRelay.self, TraceLeaf.self, Chatter.self,
    Intruder.self, Ledger.self, PolicyLab.self, Patient.self, Observatory.self, ReloadProbe.self,
]

/// Keeps the calling thread busy for `milliseconds` of wall time without suspending; returns a
/// value the optimiser cannot drop the loop for.
func spin(milliseconds: Int) -> UInt64 {
    let clock = ContinuousClock()
    let end = clock.now + .milliseconds(milliseconds)
    var x: UInt64 = 1
    while clock.now < end {
        for _ in 0..<10_000 { x = x &* 6_364_136_223_846_793_005 &+ 1 }
    }
    return x
}
