import Distributed
import Glibc
import TitanPM

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

/// A protocol-only view of a service, for parents that do not link the service's type.
@Resolvable
public protocol Greeting: DistributedActor where ActorSystem == ProcessActorSystem {
    distributed func greet(_ name: String) -> String
}

public distributed actor Greeter: Greeting, ProcessService {
    public static let name = "greeter"

    public distributed func greet(_ name: String) -> String {
        "hello \(name) from pid \(getpid())"
    }
}

/// Every service the test host can run by name.
public let allTestServices: [any ProcessService.Type] = [Calculator.self, KeyValueStore.self, Greeter.self]
