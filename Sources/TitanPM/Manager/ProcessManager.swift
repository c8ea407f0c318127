import Distributed
import Glibc
import Logging
import Synchronization
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// Runs services in child processes and looks after them.
///
/// ```swift
/// ProcessManager.bootstrap()                      // first line of main: hosts the service in a child
/// let pm = ProcessManager()
/// let calc = try await pm.spawn(Calculator.self)  // a Calculator running in another process
/// try await calc.add(2, 3)                        // a type-checked call over a Unix socket
/// await pm.shutdown()
/// ```
///
/// Each spawned service gets a ``/TitanCore/ProcessID`` (its `id.process`) that stays the same across
/// restarts. Children are started by re-executing the current program (or
/// ``SpawnOptions/executable``), live in their own process group, and exit when this process
/// dies, even by SIGKILL.
public final class ProcessManager: Sendable {
    private struct State {
        var entries: [ProcessID: any ManagedEntry] = [:]
        var order: [ProcessID] = []
        var counters: [String: Int] = [:]
        /// The prefix of the children's abstract socket names, from the first spawn on.
        var directory: String?
        var isShutDown = false
        var groups: [ProcessID: any ProcessGroup] = [:]
        /// What re-executing "this program" starts: the file this process was started from,
        /// held open, until ``replaceExecutableImage(_:)`` (a reload) says otherwise.
        var image: Result<ExecutableImage, SpawnFailure>
    }

    /// The actor system behind the references this manager returns; add caller-side
    /// interceptors here (``/TitanActorSystem/ProcessActorSystem/addInterceptor(_:)``).
    public let actorSystem: ProcessActorSystem
    /// Where the manager logs spawns, failed starts and pool workers that end.
    public let logger: Logger
    /// What this manager records about its processes (see ``ObservabilityOptions``).
    let telemetry: ManagerTelemetry
    private let hub = EventHub()
    /// The registry, the event broker and the endpoint children reach them on.
    let directory: MeshDirectory
    /// Circuit breaker and health check events (see ``policyEvents``).
    let policyBroadcast = Broadcast<PolicyEvent>()
    private let state: Mutex<State>

    private static let instances = Mutex(0)

    /// A manager that logs to `logger` and times everything (call timeouts, restart backoff,
    /// restart intensity, pool recycling and scaling) on `clock`; tests pass a ``/TitanCore/ManualClock``.
    /// `observability` says what it records about its processes: by default metrics, spans
    /// and the children's output and logs (see ``ObservabilityOptions``).
    public init(
        logger: Logger = Logger(label: "titan.pm"),
        clock: any RuntimeClock = SystemClock.shared,
        observability: ObservabilityOptions = ObservabilityOptions()
    ) {
        let n = Self.instances.withLock { count -> Int in
            count += 1
            return count
        }
        actorSystem = ProcessActorSystem(processID: ProcessID("manager-\(getpid())-\(n)"), clock: clock)
        self.logger = logger
        telemetry = ManagerTelemetry(options: observability, logger: logger)
        state = Mutex(State(image: Result { () throws(SpawnFailure) in try ExecutableImage.current() }))
        directory = MeshDirectory(system: actorSystem)
        directory.bind(self)
        actorSystem.attach(directory)
        _ = hub.addListener { [directory] event in directory.registry.observe(event) }
        startTelemetry()
    }

    deinit {
        // Without a shutdown, children die with their control sockets; stop them now instead
        // of leaving it to chance.
        let entries = state.withLock { Array($0.entries.values) }
        for case let process as ManagedProcess in entries {
            try? process.kill(.kill)
        }
    }

    // MARK: Bootstrap

    /// Call first in `main`. In a child started by a ProcessManager this hosts the requested
    /// service and never returns; in any other process it returns at once.
    ///
    /// `services` makes services spawnable by name, for parents that do not link their type
    /// (see ``spawn(service:as:configuration:options:)``). Services the parent spawns by type
    /// are found without registration.
    public static func bootstrap(services: [any ProcessService.Type] = []) {
        // Hold this program's file from the start: a deploy that replaces it later does not
        // change what this process's children run.
        _ = try? ExecutableImage.current()
        ProcessHost.register(services)
        ProcessHost.runIfChild()
    }

    // MARK: Spawning

    /// Starts `type` in a new process and returns a reference to it, once the child has
    /// constructed the service and takes calls.
    ///
    /// Throws a ``/TitanCore/ProcessError`` whose code says what failed:
    /// ``/TitanCore/ProcessError/Code/executableNotFound``,
    /// ``/TitanCore/ProcessError/Code/serviceNotFound`` (the executable does not host the service),
    /// ``/TitanCore/ProcessError/Code/startTimedOut`` (not ready within ``SpawnOptions/startTimeout``),
    /// ``/TitanCore/ProcessError/Code/startFailed`` (the child could not be launched or exited
    /// while starting), or ``/TitanCore/ProcessError/Code/shuttingDown`` after ``shutdown(timeout:)``.
    /// A failed spawn leaves no process behind.
    public func spawn<Service: ProcessService>(
        _ type: Service.Type,
        options: SpawnOptions = SpawnOptions()
    ) async throws -> Service where Service.Configuration == NoConfiguration {
        try await spawn(type, configuration: NoConfiguration(), options: options)
    }

    /// Starts `type` in a new process; the child receives `configuration` in
    /// ``/TitanProcess/ProcessService/configure(_:)`` before it takes calls.
    ///
    /// Throws as ``spawn(_:options:)``, and ``/TitanCore/ProcessError/Code/configurationFailed``
    /// when `configure(_:)` throws (the message carries its error) or the configuration
    /// cannot be decoded in the child.
    public func spawn<Service: ProcessService>(
        _ type: Service.Type,
        configuration: Service.Configuration,
        options: SpawnOptions = SpawnOptions()
    ) async throws -> Service {
        let name = options.name ?? Service.name
        let version = options.version ?? Service.version
        let contract = try ContractSetup.make(Service.self, options: options)
        try await prepareDependencies(of: Service.self, mode: options.dependencies, options: options)
        switch options.isolation {
        case .inProcess:
            let id = try makeID(name)
            directory.registry.declare(
                id, name: Service.name, version: version, serviceType: _mangledTypeName(Service.self), listed: true,
                reachableByChildren: options.reachableByChildren
            )
            let entry = try await InProcessService.start(
                Service.self, id: id, name: name, version: version, configuration: configuration,
                options: options, caller: actorSystem, events: hub,
                policies: callerPolicies(for: id, contract, breakers: true), telemetry: telemetry
            )
            insert(entry)
            actorSystem.register(route: entry, for: id)
            return try Service.resolve(id: ProcessActorID(process: id, instance: 0), using: actorSystem)
        case .process:
            let id = try await launch(
                name: name, version: version, serviceType: _mangledTypeName(Service.self), registeredAs: Service.name,
                configuration: configuration, options: options, contract: contract
            ).id
            return try Service.resolve(id: ProcessActorID(process: id, instance: 0), using: actorSystem)
        }
    }

    /// Starts the service registered as `name` in ``SpawnOptions/executable`` and returns it
    /// as `stub`: typically the `$Protocol` type that `@Resolvable` generates for a
    /// distributed protocol, so the parent needs only the protocol, not the service's type.
    ///
    /// The executable must call ``bootstrap(services:)`` with the service.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/unsupported`` without ``SpawnOptions/executable``
    /// or with ``SpawnOptions/Isolation-swift.enum/inProcess``, and otherwise as
    /// ``spawn(_:configuration:options:)``.
    public func spawn<Stub: DistributedActor, Configuration: Codable & Sendable>(
        service name: String,
        as stub: Stub.Type,
        configuration: Configuration = NoConfiguration(),
        options: SpawnOptions
    ) async throws -> Stub where Stub.ActorSystem == ProcessActorSystem {
        guard options.executable != nil else {
            throw ProcessError.unsupported("spawning by name needs SpawnOptions.executable")
        }
        guard options.isolation == .process else {
            throw ProcessError.unsupported("a service spawned by name runs in its own process")
        }
        let id = try await launch(
            name: options.name ?? name, version: options.version ?? "", serviceType: nil, registeredAs: name,
            serviceName: name, configuration: configuration, options: options,
            contract: try ContractSetup.byName(Stub.self, options: options)
        ).id
        return try Stub.resolve(id: ProcessActorID(process: id, instance: 0), using: actorSystem)
    }

    /// Starts `type` in a child process for a pool or supervisor, which looks after it. A
    /// pool's workers (`pooled`) leave the caller's policies to the pool.
    func launchProcess<Service: ProcessService>(
        _ type: Service.Type,
        name: String,
        configuration: Service.Configuration,
        options: SpawnOptions,
        supervisorHook: (@Sendable (Int, Termination) -> Void)? = nil,
        pooled: Bool = false
    ) async throws -> ManagedProcess {
        try await launch(
            name: name, version: options.version ?? Service.version, serviceType: _mangledTypeName(Service.self), registeredAs: Service.name,
            configuration: configuration, options: options, contract: try ContractSetup.make(Service.self, options: options),
            supervisorHook: supervisorHook, pooled: pooled
        )
    }

    /// Drops a process that has stopped for good from the table and the routes.
    package func forget(_ id: ProcessID) {
        directory.registry.forget(id)
        telemetry.logs?.forget(id)
        actorSystem.unregisterRoute(for: id)
        state.withLock { state in
            state.entries[id] = nil
            state.order.removeAll { $0 == id }
        }
    }

    /// A fresh process id for something that is not itself a process (a pool, a supervisor).
    package func makeGroupID(_ name: String) throws -> ProcessID {
        try makeID(name)
    }

    /// The manager's event hub, for pools and supervisors that watch their processes.
    var eventHub: EventHub { hub }

    /// The pool or supervisor `id`, if this manager runs one.
    func group(_ id: ProcessID) -> (any ProcessGroup)? {
        state.withLock { $0.groups[id] }
    }

    /// Every pool and supervisor this manager runs.
    var allGroups: [any ProcessGroup] {
        state.withLock { Array($0.groups.values) }
    }

    /// Every process entry, in spawn order.
    var allEntries: [any ManagedEntry] {
        state.withLock { state in state.order.compactMap { state.entries[$0] } }
    }

    func addGroup(_ group: any ProcessGroup) {
        state.withLock { $0.groups[group.id] = group }
    }

    func removeGroup(_ id: ProcessID) {
        _ = state.withLock { $0.groups.removeValue(forKey: id) }
        directory.registry.forget(id)
    }

    /// Whether ``shutdown(timeout:)`` has begun.
    package var isShutDown: Bool { state.withLock { $0.isShutDown } }

    private func launch(
        name: String,
        version: String,
        serviceType: String?,
        registeredAs registeredName: String,
        serviceName: String? = nil,
        configuration: some Codable & Sendable,
        options: SpawnOptions,
        contract: ContractSetup,
        supervisorHook: (@Sendable (Int, Termination) -> Void)? = nil,
        pooled: Bool = false
    ) async throws -> ManagedProcess {
        let id = try makeID(name)
        let listenPrefix = socketDirectory()
        directory.registry.declare(
            id, name: registeredName, version: version, serviceType: serviceType, listed: !pooled,
            reachableByChildren: options.reachableByChildren
        )
        let configurationBytes: [UInt8]
        do {
            configurationBytes = try actorSystem.makeEncoder().encode(configuration)
        } catch {
            throw ProcessError.encodingFailed("configuration: \(error)")
        }
        var child = ChildEnvironment(
            serviceType: serviceType,
            serviceName: serviceName ?? name,
            processID: id,
            parentPID: getpid(),
            maxFrameSize: options.maxMessageSize,
            policies: options.policies,
            telemetry: telemetry.childTelemetry,
            logLevel: telemetry.options.logs.childLogLevel.rawValue
        )
        child.stopTimeout = options.stopTimeout
        var environment = Self.currentEnvironment()
        // Swift's backtracer makes a trap take half a second or more to end the process.
        environment["SWIFT_BACKTRACE"] = options.backtraces ? "enable=yes,interactive=no,output-to=stderr" : "enable=no"
        environment.merge(options.environment) { $1 }
        environment.merge(child.variables) { $1 }
        let image = try executableImage(options.executable)
        var spec = ChildSpec(
            executable: image.path,
            image: image,
            arguments: options.arguments,
            environment: environment,
            workingDirectory: options.workingDirectory,
            child: child,
            configuration: configurationBytes,
            listenPrefix: listenPrefix,
            servingLimits: options.servingLimits
        )
        spec.captured = telemetry.captured
        spec.limits = options.limits.rlimits
        spec.meshAddress = directory.endpointAddress(prefix: listenPrefix)
        var output: (@Sendable (Int32) -> any ChildOutputHandler)?
        if let log = telemetry.logs?.log(of: id, service: name) {
            output = { pid in log.output(pid: pid) }
        }
        let process = ManagedProcess(
            id: id, name: name, version: version, spec: spec, options: options, events: hub, system: actorSystem,
            supervisorHook: supervisorHook, policies: pooled ? nil : callerPolicies(for: id, contract, breakers: true),
            manifest: contract.manifest, ownerReplacesIt: pooled, output: output
        )
        insert(process)
        actorSystem.register(route: process, for: id)
        do {
            try await process.launch()
            try await verifyContract(of: process, contract)
        } catch {
            actorSystem.unregisterRoute(for: id)
            directory.registry.forget(id)
            state.withLock { state in
                state.entries[id] = nil
                state.order.removeAll { $0 == id }
            }
            logger.error("spawn failed", metadata: ["process": "\(id)", "error": "\(error)"])
            throw error
        }
        logger.debug("spawned", metadata: ["process": "\(id)", "pid": "\(process.info.pid ?? 0)"])
        if let probe = contract.health {
            process.monitorHealth(probe) { [policyBroadcast] in policyBroadcast.emit($0) }
        }
        return process
    }

    private func insert(_ entry: any ManagedEntry) {
        state.withLock { state in
            state.entries[entry.id] = entry
            state.order.append(entry.id)
        }
    }

    private func makeID(_ name: String) throws -> ProcessID {
        try state.withLock { state in
            guard !state.isShutDown else { throw ProcessError.shuttingDown }
            let safe = String(name.unicodeScalars.prefix(48).map { scalar -> Character in
                let c = Character(scalar)
                return c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".") ? c : "_"
            })
            let n = state.counters[safe, default: 0] + 1
            state.counters[safe] = n
            return ProcessID("\(safe)-\(n)")
        }
    }

    /// The prefix of the children's listening sockets: a name in the abstract namespace, unique
    /// to this manager, so that nothing lands in the file system and nothing is left there
    /// however this process ends (SIGKILL included), and nothing on disk can be swapped or
    /// removed under the manager. Each incarnation adds its process id and a random part (see
    /// `ChildProcess.listenAddress`); only this user's processes that prove the child's secret
    /// are served there (see `Listener` and SECURITY.md).
    private func socketDirectory() -> String {
        state.withLock { state in
            if let directory = state.directory { return directory }
            var random = SystemRandomNumberGenerator()
            let directory = "@titan-\(getpid())-\(String(random.next(), radix: 16))"
            state.directory = directory
            return directory
        }
    }

    /// The program a spawn starts: this program's image, or the file at `path`, opened now
    /// and kept for every restart of the process.
    private func executableImage(_ path: String?) throws -> ExecutableImage {
        let image: Result<ExecutableImage, SpawnFailure> = if let path {
            Result { () throws(SpawnFailure) in try ExecutableImage.open(path: path) }
        } else {
            state.withLock { $0.image }
        }
        switch image {
        case .success(let image):
            return image
        case .failure(let failure):
            let code: ProcessError.Code = failure.errno == ENOENT || failure.errno == EACCES ? .executableNotFound : .startFailed
            throw ProcessError(code, "process failed to start: \(failure)", cause: failure)
        }
    }

    /// Makes later spawns of this program (``SpawnOptions/executable`` nil) start `image`
    /// instead of the file this process was started from. The hook of a reload: processes
    /// already running, and their restarts, keep the image they were started from.
    package func replaceExecutableImage(_ image: ExecutableImage) {
        state.withLock { $0.image = .success(image) }
    }

    private static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") {
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }

    // MARK: Lifecycle

    /// Snapshots of every process this manager has spawned, in spawn order: pool workers
    /// and supervised children included, processes that stopped for good as long as they
    /// were not forgotten (a pool or supervisor forgets the workers and children it replaces).
    public var processes: [ProcessInfo] {
        let entries = state.withLock { state in state.order.compactMap { state.entries[$0] } }
        return entries.map(\.info)
    }

    /// A snapshot of process `id`, or nil if this manager has none.
    public func process(id: ProcessID) -> ProcessInfo? {
        entry(id)?.info
    }

    func entry(_ id: ProcessID) -> (any ManagedEntry)? {
        state.withLock { $0.entries[id] }
    }

    func requireEntry(_ id: ProcessID) throws -> any ManagedEntry {
        guard let entry = entry(id) else { throw ProcessError.unknownProcess(id) }
        return entry
    }

    /// Sends `signal` to the process. An exit that follows counts as a crash: calls in flight
    /// fail with ``/TitanCore/ProcessError/processExited(_:_:lastOutput:)`` and the restart
    /// policy applies.
    ///
    /// After a signal that ends a process (``/TitanCore/Signal/endsProcess``: SIGKILL, SIGTERM,
    /// ...), calls made once `kill` has returned never reach the dying incarnation: they wait
    /// for a restart (bounded by their timeout), or fail with
    /// ``/TitanCore/ProcessError/Code/notRunning`` when none follows.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/unknownProcess`` for an id this manager does not
    /// have, ``/TitanCore/ProcessError/Code/notRunning`` when the process has no running
    /// incarnation, and ``/TitanCore/ProcessError/Code/unsupported`` for an in-process service.
    public func kill(_ id: ProcessID, signal: Signal = .kill) throws {
        try requireEntry(id).kill(signal)
    }

    /// Stops the process gracefully and starts a new incarnation; references keep working.
    ///
    /// Calls made meanwhile wait for the new incarnation (bounded by their timeout). The
    /// restart counts in ``ProcessInfo/restarts`` but not toward the restart policy. Throws
    /// ``/TitanCore/ProcessError/Code/unknownProcess``, ``/TitanCore/ProcessError/Code/unsupported``
    /// for an in-process service, or the new incarnation's start error.
    public func restart(_ id: ProcessID) async throws {
        try await requireEntry(id).restart()
    }

    /// Stops one process for good: shutdown request (its hook runs), then SIGTERM, then SIGKILL,
    /// each after `timeout` (default: its ``SpawnOptions/stopTimeout``). Returns once it has
    /// exited; later calls fail with ``/TitanCore/ProcessError/Code/notRunning``.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/unknownProcess`` for an id this manager does not have.
    public func stop(_ id: ProcessID, timeout: Duration? = nil) async throws {
        let entry = try requireEntry(id)
        let grace = timeout ?? (entry as? ManagedProcess)?.options.stopTimeout ?? .seconds(5)
        await entry.stop(grace: grace)
    }

    /// Asks the service's ``/TitanProcess/ProcessService/health()``, waiting for a restarting
    /// process like a call does.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/unknownProcess``, or what a call would throw
    /// (``/TitanCore/ProcessError/Code/timedOut`` after ``SpawnOptions/callTimeout``,
    /// ``/TitanCore/ProcessError/Code/processExited``, ...).
    public func health(of id: ProcessID) async throws -> HealthStatus {
        try await requireEntry(id).health()
    }

    /// Stops every process concurrently — graceful request, SIGTERM, SIGKILL — within
    /// `timeout`: by then every child that has not exited has been sent SIGKILL, whatever its
    /// pools, supervisors and stop timeouts say. The manager spawns nothing afterwards.
    public func shutdown(timeout: Duration = .seconds(10)) async {
        let deadline = actorSystem.clock.deadline(after: timeout)
        await KillLadder.$deadline.withValue(deadline) {
            await shutdown(timeout: timeout, deadline: deadline)
        }
        directory.stop()
        hub.finish()
        policyBroadcast.finish()
        telemetry.stop()
    }

    private func shutdown(timeout: Duration, deadline: ClockInstant) async {
        let groups = state.withLock { state -> [any ProcessGroup] in
            state.isShutDown = true
            return Array(state.groups.values)
        }
        // Pools and supervisors first, so they do not replace the processes being stopped.
        await withTaskGroup(of: Void.self) { group in
            for member in groups {
                group.addTask { await member.shutdown(timeout: timeout / 2) }
            }
        }
        let entries = state.withLock { state -> [any ManagedEntry] in
            state.order.compactMap { state.entries[$0] }
        }
        let remaining = actorSystem.clock.remaining(until: deadline)
        await withTaskGroup(of: Void.self) { group in
            for entry in entries {
                let stopTimeout = (entry as? ManagedProcess)?.options.stopTimeout ?? remaining
                let grace = min(stopTimeout, remaining / 2)
                group.addTask { await entry.stop(grace: grace) }
            }
        }
        logger.debug("shut down", metadata: ["processes": "\(entries.count)"])
    }

    /// Status changes of every process, from the moment of the call. Each access returns a
    /// new, independent stream; all of them end when ``shutdown(timeout:)`` completes.
    public var events: AsyncStream<ProcessEvent> {
        hub.subscribe()
    }

    /// The running incarnation of process `id`, for tests that signal it directly.
    package func currentChild(of id: ProcessID) -> ChildProcess? {
        (entry(id) as? ManagedProcess)?.currentChild
    }

    /// Calls in flight to process `id` on its current connection.
    package func inFlightCalls(_ id: ProcessID) -> Int {
        (entry(id) as? ManagedProcess)?.inFlightCalls ?? 0
    }

    /// The prefix of the children's (abstract) socket addresses, once the first child has been
    /// spawned: a child's socket is `<prefix>/<process id>-<random>` (see ``introduction(to:)``).
    package var socketDirectoryPath: String? {
        state.withLock { $0.directory }
    }

    // MARK: For operators' tools

    /// What this manager records about its processes.
    package var observability: ObservabilityOptions { telemetry.options }

    /// The pools this manager runs (a supervisor's pools among them), ordered by id.
    package var pools: [any PoolControl] {
        state.withLock { $0.groups.values.compactMap { $0 as? any PoolControl } }.sorted { $0.id.rawValue < $1.id.rawValue }
    }

    /// The root supervisors this manager runs, ordered by id.
    package var supervisors: [Supervisor] {
        state.withLock { $0.groups.values.compactMap { $0 as? Supervisor } }.sorted { $0.id.rawValue < $1.id.rawValue }
    }

    /// The mangled name of the service type process `id` runs; nil for one spawned by name.
    package func serviceTypeName(of id: ProcessID) -> String? {
        entry(id)?.serviceTypeName
    }

    /// The running incarnation whose OS process is `pid`, if one of this manager's processes runs it.
    func child(withPID pid: Int32) -> ChildProcess? {
        let entries = state.withLock { Array($0.entries.values) }
        for case let process as ManagedProcess in entries {
            if let child = process.runningOrLaunching, child.pid == pid { return child }
        }
        return nil
    }

    /// What a caller needs to reach process `id`'s running incarnation on its listening
    /// socket: for callers this manager introduces (and tests).
    package func introduction(to id: ProcessID) throws -> PeerIntroduction {
        guard let process = entry(id) as? ManagedProcess, let introduction = process.introduction else {
            throw ProcessError.notRunning(id, entry(id)?.info.status ?? .stopped)
        }
        return introduction
    }
}
