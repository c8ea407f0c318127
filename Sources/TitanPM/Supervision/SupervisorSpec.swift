import TitanCore
import TitanWire
import TitanTransport
import TitanActorSystem
import TitanProcess

/// How a supervisor reacts when one of its children terminates and is to be restarted.
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
public enum ChildRestart: Sendable, Hashable {
    /// Always.
    case permanent
    /// Only after an abnormal exit (a signal or a non-zero exit code).
    case transient
    /// Never.
    case temporary
}

/// What a supervisor does about a terminated child; returned by an `onChildCrash` hook.
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
public enum AutoShutdown: Sendable, Hashable {
    case never
    /// When any significant child terminates and is not restarted.
    case anySignificant
    /// When every significant child has terminated and none is restarted.
    case allSignificant
}

/// A child declared in a supervisor's body.
public struct Child: Sendable {
    enum Kind: Sendable {
        case process(start: @Sendable (ProcessManager, String, @escaping @Sendable (Int, Termination) -> Void) async throws -> ManagedProcess)
        case pool(start: @Sendable (ProcessManager) async throws -> any SupervisedPool)
        case supervisor(Supervisor)
    }

    /// The child's id in its supervisor (default: the service's name).
    public let id: String
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

    /// A process running `type`.
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
@resultBuilder
public enum SupervisorBuilder {
    public static func buildExpression(_ child: Child) -> [Child] { [child] }

    public static func buildExpression(_ supervisor: Supervisor) -> [Child] {
        [Child(id: supervisor.name, restart: supervisor.restartType, critical: false, shutdown: .seconds(30), kind: .supervisor(supervisor), serviceName: "supervisor")]
    }

    public static func buildBlock(_ components: [Child]...) -> [Child] { components.flatMap { $0 } }

    public static func buildOptional(_ component: [Child]?) -> [Child] { component ?? [] }

    public static func buildEither(first component: [Child]) -> [Child] { component }

    public static func buildEither(second component: [Child]) -> [Child] { component }

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
    public enum Kind: String, Sendable, Hashable {
        case process, pool, supervisor
    }

    public var id: String
    public var kind: Kind
    /// For a process: its status; for a pool or supervisor: running or stopped.
    public var status: ProcessStatus
    /// Restarts by this supervisor.
    public var restarts: Int
    /// The process (or pool) id, where there is one.
    public var process: ProcessID?
    public var pid: Int32?

    public var description: String {
        "\(id) [\(kind.rawValue)] \(status) restarts=\(restarts)" + (pid.map { " pid=\($0)" } ?? "")
    }
}

/// What happens in a supervisor, from ``Supervisor/events``.
public enum SupervisorEvent: Sendable, Hashable {
    case started(supervisor: String)
    case childTerminated(supervisor: String, child: String, reason: String)
    /// `children` were restarted (in this order) after `cause` terminated.
    case restarted(supervisor: String, cause: String, children: [String])
    case childIgnored(supervisor: String, child: String)
    case stopped(supervisor: String)
    case failed(supervisor: String, error: SupervisorError)
}
