import TitanCore
import TitanWire
import TitanTransport
import TitanActorSystem
import TitanProcess

/// How a supervisor reacts when one of its children terminates and is to be restarted.
///
/// Whatever the strategy, one decision counts once toward the supervisor's restart
/// intensity, however many children it restarts.
public enum SupervisionStrategy: Sendable, Hashable {
    /// Restart only the child that terminated.
    case oneForOne
    /// Stop every other child (in reverse start order), then start them all again in order.
    case oneForAll
    /// Stop the children started after the one that terminated (in reverse order), then
    /// start it and them again in order.
    case restForOne
    /// Every child is a dynamic instance of the one declared child, added with
    /// ``Supervisor/startChild(as:)`` and removed with ``Supervisor/terminateChild(_:)``;
    /// restarts are one-for-one.
    case simpleOneForOne
}

/// When a terminated child is restarted (OTP's restart types).
///
/// An `onChildCrash` hook sees the decision the type makes
/// (``ChildTermination/defaultDecision``) and may overrule it.
public enum ChildRestart: Sendable, Hashable {
    /// Always, whether it crashed or exited cleanly.
    case permanent
    /// Only after an abnormal exit (a signal or a non-zero exit code); a clean exit leaves it
    /// terminated.
    case transient
    /// Never: it leaves the supervisor when it terminates, and is not started again when a
    /// sibling's termination restarts the others.
    case temporary
}

/// What a supervisor does about a terminated child; returned by an `onChildCrash` hook.
///
/// ```swift
/// let root = try await pm.supervisor(onChildCrash: { termination in
///     termination.exit == .signaled(.kill) ? .ignore : termination.defaultDecision
/// }) { Child(Worker.self) }
/// ```
public enum CrashDecision: Sendable, Hashable {
    /// Apply the strategy (counts toward the restart intensity).
    case restart
    /// Leave the child terminated.
    case ignore
    /// Stop this supervisor and hand the failure to its parent.
    case escalate
}

/// A child's termination, as passed to an `onChildCrash` hook.
public struct ChildTermination: Sendable, Hashable {
    /// The child's id in its supervisor.
    public var child: String
    /// How its process ended; nil for a nested supervisor that failed.
    public var exit: Termination?
    /// Why, in words.
    public var reason: String
    /// What the child's restart type alone would decide.
    public var defaultDecision: CrashDecision
}

/// When a supervisor stops itself because of its significant (`critical`) children.
///
/// A supervisor that shuts itself down stops its other children and ends normally: a root's
/// ``Supervisor/waitForTermination()`` returns, a nested one terminates normally as its
/// parent's child.
public enum AutoShutdown: Sendable, Hashable {
    /// Significant children do not stop the supervisor (the default).
    case never
    /// When any significant child terminates and is not restarted.
    case anySignificant
    /// When every significant child has terminated and none is restarted.
    case allSignificant
}

/// A child declared in a supervisor's body: a process, a pool, or (with `Supervisor(...)`)
/// a nested supervisor.
///
/// A supervised process's own ``SpawnOptions/restartPolicy`` is ignored: the supervisor
/// decides about restarts.
public struct Child: Sendable {
    enum Kind: Sendable {
        case process(start: @Sendable (ProcessManager, String, @escaping @Sendable (Int, Termination) -> Void) async throws -> ManagedProcess)
        case pool(start: @Sendable (ProcessManager) async throws -> any SupervisedPool)
        case supervisor(Supervisor)
    }

    /// The child's id in its supervisor (default: the service's name).
    public let id: String
    /// When the child is restarted after it terminates.
    public let restart: ChildRestart
    /// A significant child: its termination may stop the supervisor (see ``AutoShutdown``).
    public let critical: Bool
    /// How long the child gets to stop gracefully before SIGTERM, and again before SIGKILL.
    public let shutdown: Duration
    let kind: Kind
    let serviceName: String

    init(id: String, restart: ChildRestart, critical: Bool, shutdown: Duration, kind: Kind, serviceName: String) {
        self.id = id
        self.restart = restart
        self.critical = critical
        self.shutdown = shutdown
        self.kind = kind
        self.serviceName = serviceName
    }

    /// A process running `type`; `shutdown` is its stop deadline per step (graceful
    /// request, SIGTERM, SIGKILL).
    public init<Service: ProcessService>(
        _ type: Service.Type,
        id: String? = nil,
        restart: ChildRestart = .permanent,
        critical: Bool = false,
        shutdown: Duration = .seconds(5),
        options: SpawnOptions = SpawnOptions()
    ) where Service.Configuration == NoConfiguration {
        self.init(type, configuration: NoConfiguration(), id: id, restart: restart, critical: critical, shutdown: shutdown, options: options)
    }

    /// A process running `type`, configured with `configuration`.
    public init<Service: ProcessService>(
        _ type: Service.Type,
        configuration: Service.Configuration,
        id: String? = nil,
        restart: ChildRestart = .permanent,
        critical: Bool = false,
        shutdown: Duration = .seconds(5),
        options: SpawnOptions = SpawnOptions()
    ) {
        var options = options
        options.restartPolicy = .never
        options.isolation = .process
        options.stopTimeout = shutdown
        let childOptions = options
        self.init(
            id: id ?? Service.name, restart: restart, critical: critical, shutdown: shutdown,
            kind: .process { manager, name, hook in
                try await manager.launchProcess(Service.self, name: name, configuration: configuration, options: childOptions, supervisorHook: hook)
            },
            serviceName: Service.name
        )
    }

    /// A pool of `size` workers running `type`; the pool replaces its own workers, and a
    /// restart by the supervisor replaces all of them.
    public init<Service: ProcessService>(
        _ type: Service.Type,
        pool size: Int,
        id: String? = nil,
        restart: ChildRestart = .permanent,
        shutdown: Duration = .seconds(5),
        options: PoolOptions = PoolOptions()
    ) where Service.Configuration == NoConfiguration {
        var options = options
        options.size = .fixed(size)
        let poolOptions = options
        self.init(
            id: id ?? Service.name, restart: restart, critical: false, shutdown: shutdown,
            kind: .pool { manager in try await manager.pool(Service.self, options: poolOptions) },
            serviceName: Service.name
        )
    }
}

/// Builds a supervisor's children from `Child(...)` and nested `Supervisor(...)` declarations.
///
/// `if`, `if`/`else` and `for` work inside the body; children start in the order written.
@resultBuilder
public enum SupervisorBuilder {
    /// A declared child.
    public static func buildExpression(_ child: Child) -> [Child] { [child] }

    /// A nested supervisor, as a child of the enclosing one (30 s to stop).
    public static func buildExpression(_ supervisor: Supervisor) -> [Child] {
        [Child(id: supervisor.name, restart: supervisor.restartType, critical: false, shutdown: .seconds(30), kind: .supervisor(supervisor), serviceName: "supervisor")]
    }

    /// The children of a body, in order.
    public static func buildBlock(_ components: [Child]...) -> [Child] { components.flatMap { $0 } }

    /// The children of an `if` without `else`, when its condition holds.
    public static func buildOptional(_ component: [Child]?) -> [Child] { component ?? [] }

    /// The children of an `if`'s first branch.
    public static func buildEither(first component: [Child]) -> [Child] { component }

    /// The children of an `else` branch.
    public static func buildEither(second component: [Child]) -> [Child] { component }

    /// The children of a `for` loop, in order.
    public static func buildArray(_ components: [[Child]]) -> [Child] { components.flatMap { $0 } }
}

/// A pool as a supervisor sees it.
protocol SupervisedPool: Sendable {
    var id: ProcessID { get }
    var workers: [ProcessID] { get }
    func restartWorkers() async
    func shutdown(timeout: Duration) async
}

extension ProcessPool: SupervisedPool {}

/// One of a supervisor's children, as listed by ``Supervisor/children``.
public struct SupervisedChildInfo: Sendable, Hashable, CustomStringConvertible {
    /// What the child is.
    public enum Kind: String, Sendable, Hashable {
        /// A process running a service.
        case process
        /// A ``ProcessPool``.
        case pool
        /// A nested ``Supervisor``.
        case supervisor
    }

    /// The child's id in its supervisor.
    public var id: String
    /// What the child is (a child left terminated is listed as a process).
    public var kind: Kind
    /// For a process: its status; for a pool or supervisor: running or stopped.
    public var status: ProcessStatus
    /// Restarts by this supervisor.
    public var restarts: Int
    /// The process (or pool) id, where there is one.
    public var process: ProcessID?
    /// The OS process id of a running process child.
    public var pid: Int32?

    /// One line: id, kind, status, restarts and pid.
    public var description: String {
        "\(id) [\(kind.rawValue)] \(status) restarts=\(restarts)" + (pid.map { " pid=\($0)" } ?? "")
    }
}

/// What happens in a supervisor, from ``Supervisor/events``.
///
/// `supervisor` names the supervisor the event happened in; a supervisor's stream carries
/// its own events only (subscribe to a nested one through ``Supervisor/supervisor(_:)``).
public enum SupervisorEvent: Sendable, Hashable {
    /// The supervisor started all its children (again, after a restart by its parent).
    case started(supervisor: String)
    /// A child terminated on its own: `reason` is its exit status in words (`signal SIGKILL`),
    /// `exited normally`, the error of a nested supervisor that failed, or `shut down` for a
    /// nested supervisor that stopped itself.
    case childTerminated(supervisor: String, child: String, reason: String)
    /// `children` were restarted (in this order) after `cause` terminated, or after
    /// ``Supervisor/restartChild(_:)``.
    case restarted(supervisor: String, cause: String, children: [String])
    /// A terminated child was left terminated (its restart type, or the hook, said so).
    case childIgnored(supervisor: String, child: String)
    /// The supervisor stopped its children and itself: ``Supervisor/stop()``, an automatic
    /// shutdown, or its parent stopping it.
    case stopped(supervisor: String)
    /// The supervisor gave up and stopped its children: too many restarts, or an escalation.
    case failed(supervisor: String, error: SupervisorError)
}
