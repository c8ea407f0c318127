import Synchronization
import TitanActorSystem
import TitanCore
import TitanTelemetry
import TitanProcess
import TitanTransport
import TitanWire

/// An Erlang/OTP-style supervisor over child processes, pools and nested supervisors.
///
/// ```swift
/// let root = try await pm.supervisor(strategy: .oneForOne, intensity: 3, within: .seconds(60)) {
///     Child(Database.self, restart: .permanent, critical: true)
///     Child(Worker.self, pool: 4)
///     Supervisor("jobs", strategy: .restForOne) {
///         Child(Fetcher.self)
///         Child(Parser.self)
///     }
/// }
/// let db = try await root.reference(Database.self)   // keeps working across restarts
/// ```
///
/// Children start in declaration order and stop in reverse order, each with its own
/// shutdown deadline (graceful request, then SIGTERM, then SIGKILL). When a child terminates
/// the supervisor applies its restart type (or the `onChildCrash` hook), then its strategy.
/// More than `intensity` restarts within the period stop every child and escalate the
/// failure to the parent supervisor; the root's failure ends ``waitForTermination()`` with
/// a ``SupervisorError`` and emits ``SupervisorEvent/failed(supervisor:error:)``.
public actor Supervisor: ProcessGroup {
    private enum Handle {
        case process(ManagedProcess)
        case pool(any SupervisedPool)
        case supervisor(Supervisor)
        /// Terminated and not restarted.
        case none(lastProcess: ProcessID?)
    }

    private struct Running {
        var spec: Child
        var id: String
        var handle: Handle
        var restarts = 0
    }

    private enum Phase {
        case idle, running, stopping, stopped, failed(SupervisorError)
    }

    /// The supervisor's name: its id among its parent's children, and the `supervisor` of
    /// its events and errors.
    public nonisolated let name: String
    /// A unique id for the supervisor in its manager (it is not a process).
    public nonisolated let id: ProcessID
    /// Which children restart when one terminates.
    public nonisolated let strategy: SupervisionStrategy
    /// Restarts allowed within ``period``; one more and the supervisor gives up.
    public nonisolated let intensity: Int
    /// How far back restarts count toward ``intensity``.
    public nonisolated let period: Duration
    /// The delay before a restart, by the number of restarts within the period.
    public nonisolated let backoff: Backoff
    /// Whether the termination of significant children stops the supervisor.
    public nonisolated let autoShutdown: AutoShutdown
    nonisolated let restartType: ChildRestart
    private nonisolated let specs: [Child]
    private nonisolated let onChildCrash: (@Sendable (ChildTermination) async -> CrashDecision)?

    private var manager: ProcessManager?
    private weak var parent: Supervisor?
    private var members: [Running] = []
    private var restartWindow: SlidingWindow
    private var phase = Phase.idle
    private var dynamicCount = 0
    private var busy = false
    private var queue: [CheckedContinuation<Void, Never>] = []
    private var terminationWaiters: [CheckedContinuation<Void, any Error>] = []
    private nonisolated let broadcast = Broadcast<SupervisorEvent>()

    private static let counter = Mutex(0)

    /// Declares a supervisor. Nested in another supervisor's body it is started by its
    /// parent; at the top, ``ProcessManager/supervisor(_:strategy:intensity:within:backoff:autoShutdown:onChildCrash:children:)``
    /// starts it.
    ///
    /// - Parameters:
    ///   - name: the supervisor's id among its parent's children.
    ///   - strategy: which children restart when one terminates.
    ///   - intensity: restarts allowed within `period`; one more and the supervisor gives up.
    ///   - period: how far back restarts count toward `intensity`.
    ///   - backoff: the delay before the n-th restart within the period.
    ///   - autoShutdown: whether significant children's termination stops the supervisor.
    ///   - restart: the supervisor's own restart type as a child of its parent.
    ///   - onChildCrash: decides, per termination, whether to restart, ignore or escalate.
    ///   - children: the children, started in this order.
    public init(
        _ name: String,
        strategy: SupervisionStrategy = .oneForOne,
        intensity: Int = 3,
        within period: Duration = .seconds(5),
        backoff: Backoff = .none,
        autoShutdown: AutoShutdown = .never,
        restart: ChildRestart = .permanent,
        onChildCrash: (@Sendable (ChildTermination) async -> CrashDecision)? = nil,
        @SupervisorBuilder children: () -> [Child]
    ) {
        self.init(
            name, strategy: strategy, intensity: intensity, within: period, backoff: backoff,
            autoShutdown: autoShutdown, restart: restart, onChildCrash: onChildCrash, specs: children()
        )
    }

    init(
        _ name: String,
        strategy: SupervisionStrategy,
        intensity: Int,
        within period: Duration,
        backoff: Backoff,
        autoShutdown: AutoShutdown,
        restart: ChildRestart,
        onChildCrash: (@Sendable (ChildTermination) async -> CrashDecision)?,
        specs: [Child]
    ) {
        let n = Self.counter.withLock { count -> Int in
            count += 1
            return count
        }
        self.name = name
        id = ProcessID("supervisor-\(name)-\(n)")
        self.strategy = strategy
        self.intensity = max(0, intensity)
        self.period = period
        restartWindow = SlidingWindow(length: period)
        self.backoff = backoff
        self.autoShutdown = autoShutdown
        restartType = restart
        self.onChildCrash = onChildCrash
        self.specs = specs
    }

    // MARK: Serial execution

    /// Runs `body` alone: terminations, commands and restarts never interleave.
    private func serially<T>(_ body: () async throws -> T) async rethrows -> T {
        if busy {
            await withCheckedContinuation { queue.append($0) }
        }
        busy = true
        defer {
            if queue.isEmpty { busy = false } else { queue.removeFirst().resume() }
        }
        return try await body()
    }

    // MARK: Starting

    func start(manager: ProcessManager, parent: Supervisor?) async throws {
        try await serially {
            self.manager = manager
            self.parent = parent
            members = []
            restartWindow.reset()
            dynamicCount = 0
            phase = .running
            guard strategy != .simpleOneForOne else {
                publish(.started(supervisor: name))
                return
            }
            for spec in specs {
                do {
                    members.append(Running(spec: spec, id: spec.id, handle: try await launch(spec, id: spec.id)))
                } catch {
                    await stopChildren()
                    phase = .stopped
                    throw SupervisorError.startFailed(supervisor: name, child: spec.id, reason: "\(error)")
                }
            }
            publish(.started(supervisor: name))
        }
    }

    private func launch(_ spec: Child, id: String) async throws -> Handle {
        guard let manager else { throw SupervisorError.notAllowed("supervisor \(name) is not started") }
        switch spec.kind {
        case .process(let start):
            let process = try await start(manager, id) { [weak self] incarnation, exit in
                guard let self else { return }
                Task { await self.processExited(id, incarnation: incarnation, exit: exit) }
            }
            return .process(process)
        case .pool(let start):
            return .pool(try await start(manager))
        case .supervisor(let child):
            try await child.start(manager: manager, parent: self)
            return .supervisor(child)
        }
    }

    // MARK: Terminations

    private func processExited(_ child: String, incarnation: Int, exit: Termination) async {
        await serially {
            guard case .running = phase,
                  let index = members.firstIndex(where: { $0.id == child }),
                  case .process(let process) = members[index].handle,
                  process.incarnation == incarnation else { return }
            let reason = exit.isSuccess ? "exited normally" : "\(exit)"
            await childTerminated(at: index, exit: exit, abnormal: !exit.isSuccess, reason: reason)
        }
    }

    /// A nested supervisor gave up.
    private func childFailed(_ child: String, error: SupervisorError) async {
        await serially {
            guard case .running = phase, let index = members.firstIndex(where: { $0.id == child }) else { return }
            await childTerminated(at: index, exit: nil, abnormal: true, reason: "\(error)")
        }
    }

    /// A nested supervisor stopped itself (auto-shutdown): a normal termination.
    private func childShutDown(_ child: String) async {
        await serially {
            guard case .running = phase, let index = members.firstIndex(where: { $0.id == child }) else { return }
            await childTerminated(at: index, exit: .exited(code: 0), abnormal: false, reason: "shut down")
        }
    }

    private func childTerminated(at index: Int, exit: Termination?, abnormal: Bool, reason: String) async {
        let child = members[index]
        publish(.childTerminated(supervisor: name, child: child.id, reason: reason))
        let byType: CrashDecision = switch child.spec.restart {
        case .permanent: .restart
        case .transient: abnormal ? .restart : .ignore
        case .temporary: .ignore
        }
        var decision = byType
        if let hook = onChildCrash {
            decision = await hook(ChildTermination(child: child.id, exit: exit, reason: reason, defaultDecision: byType))
        }
        switch decision {
        case .ignore:
            leaveTerminated(at: index)
            publish(.childIgnored(supervisor: name, child: child.id))
            if shouldAutoShutdown(after: child) { await shutDownSelf() }
        case .escalate:
            await fail(.escalated(supervisor: name, child: child.id, reason: reason))
        case .restart:
            await restart(from: index, cause: child.id)
        }
    }

    private func leaveTerminated(at index: Int) {
        let child = members[index]
        switch child.handle {
        case .process(let process):
            process.releaseWaiters()
            manager?.forget(process.id)
            members[index].handle = .none(lastProcess: process.id)
        case .pool(let pool):
            members[index].handle = .none(lastProcess: pool.id)
        case .supervisor, .none:
            members[index].handle = .none(lastProcess: nil)
        }
        // Temporary members leave the supervisor altogether, as in OTP.
        if child.spec.restart == .temporary || strategy == .simpleOneForOne {
            members.remove(at: index)
        }
    }

    private func shouldAutoShutdown(after child: Running) -> Bool {
        guard child.spec.critical else { return false }
        switch autoShutdown {
        case .never:
            return false
        case .anySignificant:
            return true
        case .allSignificant:
            return !members.contains { running in
                guard running.spec.critical else { return false }
                if case .none = running.handle { return false }
                return true
            }
        }
    }

    /// Records a restart; false when it exceeds the intensity.
    private func admitRestart() -> Bool {
        let now = clock.now
        restartWindow.record(at: now)
        return restartWindow.count(at: now) <= intensity
    }

    /// Restarts counted within the period, this one included.
    private var recentRestarts: Int { restartWindow.count(at: clock.now) }

    private var clock: any RuntimeClock { manager?.actorSystem.clock ?? SystemClock.shared }

    private func restart(from index: Int, cause: String) async {
        // One decision counts once toward the intensity, however many members it restarts.
        guard admitRestart() else {
            await fail(.intensityExceeded(supervisor: name, restarts: recentRestarts - 1, within: period))
            return
        }
        let affected: [Int] = switch strategy {
        case .oneForOne, .simpleOneForOne: [index]
        case .oneForAll: Array(members.indices)
        case .restForOne: Array(index..<members.count)
        }
        // Siblings stop in reverse start order; the terminated child is already down.
        for i in affected.reversed() where i != index {
            await stopForRestart(at: i)
        }
        let delay = backoff.delay(attempt: recentRestarts - 1)
        if delay > .zero { try? await clock.sleep(for: delay) }

        var restarted: [String] = []
        var dropped: [String] = []
        for i in affected {
            // Temporary siblings are stopped with the others but not started again.
            if i != index && members[i].spec.restart == .temporary {
                dropped.append(members[i].id)
                continue
            }
            while true {
                do {
                    try await startAgain(at: i)
                    members[i].restarts += 1
                    restarted.append(members[i].id)
                    break
                } catch {
                    // A child that fails to start has terminated again: retry within the intensity.
                    guard admitRestart() else {
                        await fail(.intensityExceeded(supervisor: name, restarts: recentRestarts - 1, within: period))
                        return
                    }
                    let retryDelay = backoff.delay(attempt: recentRestarts - 1)
                    if retryDelay > .zero { try? await clock.sleep(for: retryDelay) }
                }
            }
        }
        for id in dropped {
            if let i = members.firstIndex(where: { $0.id == id }) { leaveTerminated(at: i) }
        }
        publish(.restarted(supervisor: name, cause: cause, children: restarted))
    }

    private func stopForRestart(at index: Int) async {
        let child = members[index]
        switch child.handle {
        case .process(let process):
            await process.stopForRestart(grace: child.spec.shutdown, reason: "restarted by supervisor \(name)")
        case .supervisor(let nested):
            await nested.stopForParent()
        case .pool, .none:
            break
        }
    }

    private func startAgain(at index: Int) async throws {
        let child = members[index]
        switch child.handle {
        case .process(let process):
            try await process.startAfterRestart()
        case .pool(let pool):
            await pool.restartWorkers()
        case .supervisor(let nested):
            guard let manager else { return }
            try await nested.start(manager: manager, parent: self)
        case .none:
            members[index].handle = try await launch(child.spec, id: child.id)
        }
    }

    // MARK: Stopping and failing

    /// Stops every child, last started first.
    private func stopChildren() async {
        for child in members.reversed() {
            await stop(child)
        }
    }

    /// Stops one child for good, within its own shutdown deadline.
    private func stop(_ child: Running) async {
        switch child.handle {
        case .process(let process):
            await process.stop(grace: child.spec.shutdown)
            manager?.forget(process.id)
        case .pool(let pool):
            await pool.shutdown(timeout: child.spec.shutdown)
        case .supervisor(let nested):
            await nested.stopForParent()
        case .none:
            break
        }
    }

    /// Stops every child and marks the supervisor stopped.
    private func stopAll() async {
        phase = .stopping
        await stopChildren()
        members = []
        phase = .stopped
        publish(.stopped(supervisor: name))
    }

    private func fail(_ error: SupervisorError) async {
        phase = .failed(error)
        await stopChildren()
        members = []
        publish(.failed(supervisor: name, error: error))
        if let parent {
            Task { await parent.childFailed(name, error: error) }
        } else {
            manager?.removeGroup(id)
            finishWaiters(.failure(error))
        }
    }

    private func shutDownSelf() async {
        await stopAll()
        if let parent {
            Task { await parent.childShutDown(name) }
        } else {
            manager?.removeGroup(id)
            finishWaiters(.success(()))
        }
    }

    private func finishWaiters(_ result: Result<Void, any Error>) {
        let waiters = terminationWaiters
        terminationWaiters = []
        for waiter in waiters { waiter.resume(with: result) }
        broadcast.finish()
    }

    /// Stopped by its parent (a restart of the parent's members, or the parent stopping).
    private func stopForParent() async {
        await serially {
            guard case .running = phase else { return }
            await stopAll()
        }
    }

    /// Stops every child in reverse start order and the supervisor itself.
    public func stop() async {
        await serially {
            guard case .running = phase else { return }
            await stopAll()
            manager?.removeGroup(id)
            finishWaiters(.success(()))
        }
    }

    /// Stops the supervisor as ``stop()`` does (each child within its own shutdown
    /// deadline; `timeout` is not used). The manager calls it from its own shutdown.
    public func shutdown(timeout: Duration) async {
        await stop()
    }

    /// Returns when the supervisor stops normally (``stop()``, an automatic shutdown, the
    /// manager's shutdown); throws the ``SupervisorError`` it failed with. Meant for a root
    /// supervisor: a nested one hands its failures to its parent, and its waiters return only
    /// once it is stopped with ``stop()``.
    public func waitForTermination() async throws {
        switch phase {
        case .stopped: return
        case .failed(let error) where parent == nil: throw error
        default: break
        }
        try await withCheckedThrowingContinuation { terminationWaiters.append($0) }
    }

    // MARK: Inspection and control

    /// Events of this supervisor from now on: a new, independent stream on each access. The
    /// streams end when the supervisor is stopped with ``stop()`` or, for a root, when it fails
    /// or shuts itself down; a nested supervisor's streams stay open while its parent restarts it.
    public nonisolated var events: AsyncStream<SupervisorEvent> { broadcast.subscribe() }

    nonisolated var serviceName: String { name }

    /// Sends `event` to the subscribers, counting restarts and escalations for the metrics.
    private func publish(_ event: SupervisorEvent) {
        if let registry = manager?.telemetry.registry, manager?.telemetry.options.metrics == true {
            let dimensions = [(TitanMetricNames.supervisor, name)]
            switch event {
            case .restarted(_, _, let children):
                registry.counter(TitanMetricNames.supervisorRestarts, dimensions).increment(by: Int64(children.count))
            case .failed:
                registry.counter(TitanMetricNames.supervisorEscalations, dimensions).increment(by: 1)
            default:
                break
            }
        }
        broadcast.emit(event)
    }

    /// The children in start order.
    public var children: [SupervisedChildInfo] {
        members.map { child in
            switch child.handle {
            case .process(let process):
                let info = process.info
                return SupervisedChildInfo(id: child.id, kind: .process, status: info.status, restarts: child.restarts, process: process.id, pid: info.pid)
            case .pool(let pool):
                return SupervisedChildInfo(id: child.id, kind: .pool, status: .running, restarts: child.restarts, process: pool.id, pid: nil)
            case .supervisor(let nested):
                return SupervisedChildInfo(id: child.id, kind: .supervisor, status: .running, restarts: child.restarts, process: nested.id, pid: nil)
            case .none(let last):
                return SupervisedChildInfo(id: child.id, kind: .process, status: .stopped, restarts: child.restarts, process: last, pid: nil)
            }
        }
    }

    /// A reference to child `id` (default: the service's name) running `type`, or to a pool
    /// child's proxy. It stays valid across the child's restarts: calls made while the child
    /// is down wait for it (bounded by their timeout).
    ///
    /// Throws ``SupervisorError/Code-swift.struct/noSuchChild`` if there is no such process or
    /// pool child, or it is terminated and not restarted.
    public func reference<Service: ProcessService>(_ type: Service.Type, id: String? = nil) throws -> Service {
        let wanted = id ?? Service.name
        guard let manager, let child = members.first(where: { $0.id == wanted }) else {
            throw SupervisorError.noSuchChild(wanted)
        }
        switch child.handle {
        case .process(let process):
            return try Service.resolve(id: ProcessActorID(process: process.id, instance: 0), using: manager.actorSystem)
        case .pool(let pool):
            return try Service.resolve(id: ProcessActorID(process: pool.id, instance: 0), using: manager.actorSystem)
        case .supervisor, .none:
            throw SupervisorError.noSuchChild(wanted)
        }
    }

    /// The nested supervisor with this name.
    public func supervisor(_ name: String) -> Supervisor? {
        for child in members {
            if case .supervisor(let nested) = child.handle, nested.name == name { return nested }
        }
        return nil
    }

    /// Stops child `id` and starts it again (not counted toward the intensity); emits
    /// ``SupervisorEvent/restarted(supervisor:cause:children:)``.
    ///
    /// Throws ``SupervisorError/Code-swift.struct/noSuchChild``, or the child's start error.
    public func restartChild(_ id: String) async throws {
        try await serially {
            guard let index = members.firstIndex(where: { $0.id == id }) else { throw SupervisorError.noSuchChild(id) }
            await stopForRestart(at: index)
            try await startAgain(at: index)
            members[index].restarts += 1
            publish(.restarted(supervisor: name, cause: id, children: [id]))
        }
    }

    /// Adds an instance of a simple-one-for-one supervisor's child and returns a reference
    /// to it; its id is the child's id with a number (`worker-1`, `worker-2`, ...).
    ///
    /// Throws ``SupervisorError/Code-swift.struct/notAllowed`` unless the supervisor is
    /// ``SupervisionStrategy/simpleOneForOne``, declares a child and runs; or the child's start error.
    public func startChild<Service: ProcessService>(as type: Service.Type) async throws -> Service {
        let child: String = try await serially {
            guard strategy == .simpleOneForOne, let template = specs.first else {
                throw SupervisorError.notAllowed("startChild needs a simple-one-for-one supervisor with one child declared")
            }
            guard case .running = phase else { throw SupervisorError.notAllowed("supervisor \(name) is not running") }
            dynamicCount += 1
            let id = "\(template.id)-\(dynamicCount)"
            members.append(Running(spec: template, id: id, handle: try await launch(template, id: id)))
            return id
        }
        return try reference(type, id: child)
    }

    /// Stops and removes a dynamic child of a simple-one-for-one supervisor (or any child
    /// of another one, which then stays terminated).
    ///
    /// Throws ``SupervisorError/Code-swift.struct/noSuchChild``.
    public func terminateChild(_ id: String) async throws {
        try await serially {
            guard let index = members.firstIndex(where: { $0.id == id }) else { throw SupervisorError.noSuchChild(id) }
            await stop(members[index])
            if strategy == .simpleOneForOne {
                members.remove(at: index)
            } else {
                members[index].handle = .none(lastProcess: nil)
            }
        }
    }
}

extension ProcessManager {
    /// Starts a root supervisor with `children` and returns once all of them are running.
    ///
    /// The parameters are those of ``Supervisor/init(_:strategy:intensity:within:backoff:autoShutdown:restart:onChildCrash:children:)``.
    /// Throws ``SupervisorError/Code-swift.struct/startFailed`` if a child cannot be started
    /// (the children already started are stopped again), or ``/TitanCore/ProcessError/Code/shuttingDown``
    /// after the manager's shutdown.
    public func supervisor(
        _ name: String = "root",
        strategy: SupervisionStrategy = .oneForOne,
        intensity: Int = 3,
        within period: Duration = .seconds(5),
        backoff: Backoff = .none,
        autoShutdown: AutoShutdown = .never,
        onChildCrash: (@Sendable (ChildTermination) async -> CrashDecision)? = nil,
        @SupervisorBuilder children: () -> [Child]
    ) async throws -> Supervisor {
        guard !isShutDown else { throw ProcessError.shuttingDown }
        let specs = children()
        let supervisor = Supervisor(
            name, strategy: strategy, intensity: intensity, within: period, backoff: backoff,
            autoShutdown: autoShutdown, restart: .permanent, onChildCrash: onChildCrash, specs: specs
        )
        addGroup(supervisor)
        do {
            try await supervisor.start(manager: self, parent: nil)
        } catch {
            removeGroup(supervisor.id)
            throw error
        }
        return supervisor
    }
}
