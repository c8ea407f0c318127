import TitanCore
import TitanPolicies
import TitanWire
import TitanTransport
import TitanActorSystem
import TitanProcess

/// How ``ProcessManager/spawn(_:options:)`` starts and looks after a service.
///
/// ```swift
/// let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(
///     callTimeout: .seconds(5),
///     restartPolicy: .onFailure(maxRestarts: 3)))
/// ```
public struct SpawnOptions: Sendable {
    /// Where the service runs.
    public enum Isolation: String, Sendable, Hashable, Codable {
        /// In its own OS process (the default): a crash there cannot take the caller down.
        case process
        /// In the caller's process, through the same API: for unit tests and mocks.
        case inProcess
    }

    /// Overrides ``/TitanProcess/ProcessService/name`` in the process table, events and the process id.
    public var name: String?
    /// Overrides ``/TitanProcess/ProcessService/version``.
    public var version: String?
    /// Where the service runs: ``Isolation-swift.enum/process`` (the default) or
    /// ``Isolation-swift.enum/inProcess``.
    public var isolation: Isolation
    /// The executable that hosts the service; nil re-executes the current program.
    /// The executable must call ``ProcessManager/bootstrap(services:)`` first in `main`.
    public var executable: String?
    /// Extra command-line arguments for the child.
    public var arguments: [String]
    /// Variables set in the child's environment, on top of the parent's.
    public var environment: [String: String]
    /// The child's working directory; nil keeps the parent's.
    public var workingDirectory: String?
    /// How long the child may take from launch to ready before the spawn fails.
    public var startTimeout: Duration
    /// The default bound on each call; nil means calls wait as long as the process lives.
    /// Override per call with ``/TitanActorSystem/ProcessActorSystem/withCallTimeout(_:isolation:_:)``.
    /// A call that runs out throws ``/TitanCore/ProcessError/Code/timedOut``; the time left
    /// travels to the child as the call's deadline.
    public var callTimeout: Duration?
    /// How long a graceful stop may take before SIGTERM, and again before SIGKILL. The child
    /// itself exits by the end of each step, even while its service is busy.
    public var stopTimeout: Duration
    /// What happens when the process dies unexpectedly: ``/TitanCore/RestartPolicy/never``
    /// by default. Ignored for pool workers and supervised children, which their pool or
    /// supervisor restarts.
    public var restartPolicy: RestartPolicy
    /// The largest message accepted in either direction, in bytes; a larger one fails its
    /// call with ``/TitanCore/ProcessError/Code/messageTooLarge`` and the connection stays up.
    public var maxMessageSize: Int
    /// Whether a child that crashes prints Swift's full backtrace before it dies, into its
    /// standard error (which the parent reads into the process's logs, or forwards to its own
    /// with ``LogOptions/inherit``). Off by default: the backtracer
    /// takes half a second or more, during which the dead child's calls wait for their
    /// failure. Either way the trap's message reaches ``ProcessEvent/lastOutput`` and the
    /// calls' ``/TitanCore/ProcessError/lastOutput``. An explicit `SWIFT_BACKTRACE` in ``environment`` wins.
    public var backtraces: Bool
    /// Memory, CPU time and open-file limits for each incarnation (see ``ResourceLimits``).
    public var limits: ResourceLimits
    /// Restarts a child whose service stops answering heartbeats (see ``Watchdog``); nil,
    /// the default, sends none.
    public var watchdog: Watchdog?
    /// What the child grants callers on its listening socket (handshake deadline, connection
    /// cap) and any caller (unsent replies); tests shorten them.
    package var servingLimits = ServingLimits()
    /// Method policies by method key (`"add(_:_:)"`), for a service that cannot be annotated,
    /// or to change an annotated one's per deployment: each policy given here replaces the
    /// method's attribute of the same kind. Keys read from arguments, `@SelfHeal`,
    /// `@CacheEvict` and `@Validate` need the attributes (the code they generate).
    ///
    /// ```swift
    /// SpawnOptions(policies: ["resize(_:)": MethodPolicies(rateLimit: RateLimitPolicy(50, per: .seconds(1)),
    ///                                                      timeout: TimeoutPolicy(.seconds(2)))])
    /// ```
    public var policies: [String: MethodPolicies]
    /// What spawning does about the service's ``/TitanProcess/ProcessService/dependencies``
    /// that are not running: start them first (the default) or refuse.
    public var dependencies: DependencyStart
    /// Whether the manager introduces this service to other children that discover it (see
    /// <doc:Mesh>); true by default. False keeps it out of every child's reach: a child's
    /// discovery of it fails with ``DiscoveryError/Code/notReachable``; the manager's own
    /// references are unaffected.
    public var reachableByChildren = true

    /// Options with every default: a child process re-executing this program, 10 s to start,
    /// 30 s per call, 5 s per stop step, no restarts, 64 MiB messages.
    public init(
        name: String? = nil,
        version: String? = nil,
        isolation: Isolation = .process,
        executable: String? = nil,
        arguments: [String] = [],
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        startTimeout: Duration = .seconds(10),
        callTimeout: Duration? = .seconds(30),
        stopTimeout: Duration = .seconds(5),
        restartPolicy: RestartPolicy = .never,
        maxMessageSize: Int = ProcessActorSystem.defaultMaxFrameSize,
        backtraces: Bool = false,
        limits: ResourceLimits = .none,
        watchdog: Watchdog? = nil,
        policies: [String: MethodPolicies] = [:],
        dependencies: DependencyStart = .start
    ) {
        self.dependencies = dependencies
        self.watchdog = watchdog
        self.limits = limits
        self.backtraces = backtraces
        self.name = name
        self.version = version
        self.isolation = isolation
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.startTimeout = startTimeout
        self.callTimeout = callTimeout
        self.stopTimeout = stopTimeout
        self.restartPolicy = restartPolicy
        self.maxMessageSize = maxMessageSize
        self.policies = policies
    }
}
