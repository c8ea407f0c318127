import Distributed
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

/// A distributed actor that a `ProcessManager` can run in its own process.
///
/// Adopt it on a `distributed actor`; its `distributed func`s are what callers can reach:
///
/// ```swift
/// distributed actor Calculator: ProcessService {
///     static let name = "calculator"
///     static let version = "1.0.0"
///     distributed func add(_ a: Int, _ b: Int) -> Int { a + b }
/// }
/// let calc = try await pm.spawn(Calculator.self)   // a Calculator in another process
/// ```
///
/// Everything else has a default: a service that needs settings names a `Configuration` and
/// receives it in ``configure(_:)`` before it takes calls; one that holds resources cleans
/// them up in ``shutdown()``; one that can tell whether it is well answers ``health()``.
public protocol ProcessService: DistributedActor where ActorSystem == ProcessActorSystem {
    /// Settings passed at spawn (see `ProcessManager.spawn(_:configuration:options:)`).
    associatedtype Configuration: Codable & Sendable = NoConfiguration

    /// The service's name in process tables, events and logs. Defaults to the type's name.
    static var name: String { get }
    /// The service's version, reported with its name. Defaults to "0.0.0".
    static var version: String { get }

    /// Creates the service, in the process that hosts it, with that process's actor system;
    /// ``configure(_:)`` follows. Distributed actors without other initialisers get this one
    /// for free. It runs again, in a new process, for each restart.
    init(actorSystem: ProcessActorSystem)

    /// Called once in the hosting process, after `init` and before the first call, with the
    /// configuration given at spawn. Throwing fails the spawn with a `ProcessError` of code
    /// ``/TitanCore/ProcessError/Code/configurationFailed`` whose message carries the error's.
    func configure(_ configuration: Configuration) async throws

    /// Called once on graceful shutdown, after the calls in flight have finished (or the stop
    /// timeout has run out) and before the process exits. New calls are already refused.
    func shutdown() async

    /// The service's own view of its health, asked in the hosting process by
    /// `ProcessManager.health(of:)` and by a pool's health checks. Defaults to healthy.
    func health() async -> HealthStatus

    /// Interceptors installed in the process that hosts the service before it takes calls:
    /// they see every call it serves and every call it makes. None by default; method
    /// policies are installed here.
    static var interceptors: [any CallInterceptor] { get }

    /// The services this one needs. Spawning it checks them (and can start them first, see
    /// `SpawnOptions.dependencies`); a cycle among them is refused. None by default.
    static var dependencies: [ServiceDependency] { get }
}

extension ProcessService {
    public static var name: String { String(describing: Self.self) }
    public static var version: String { "0.0.0" }
    public func configure(_ configuration: Configuration) async throws {}
    public func shutdown() async {}
    public func health() async -> HealthStatus { .healthy }
    public static var interceptors: [any CallInterceptor] { [] }
    public static var dependencies: [ServiceDependency] { [] }
}

/// The configuration of a service that takes none.
///
/// The default `Configuration` of a ``ProcessService``: such a service is spawned without a
/// `configuration:` argument.
public struct NoConfiguration: Codable, Sendable, Hashable {
    /// The empty configuration.
    public init() {}
}

