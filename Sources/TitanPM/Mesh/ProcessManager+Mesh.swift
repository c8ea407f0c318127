import TitanActorSystem
import TitanCore
import TitanProcess

extension ProcessManager {
    // MARK: Discovery

    /// Finds a running `S` in the versions `version` admits and returns a typed reference —
    /// the pool's for a pool — waiting up to `timeout` for one to start, as a child's
    /// `actorSystem.discover(_:version:timeout:)` does (see <doc:Mesh>).
    ///
    /// ```swift
    /// let greeter = try await pm.discover(Greeter.self, version: "^1.2")
    /// ```
    public func discover<S: ProcessService>(_ type: S.Type, version: String = "*", timeout: Duration? = .seconds(30)) async throws -> S {
        try await actorSystem.discover(type, version: version, timeout: timeout)
    }

    /// Every service registered now (running processes and pools), in registration order.
    public var registrations: [ServiceRegistration] {
        directory.registry.registrations
    }

    /// Registrations and unregistrations from the moment of the call, for watchers. Each
    /// access returns a new stream (a watcher more than 1024 changes behind loses the oldest).
    public var registryChanges: AsyncStream<RegistryChange> {
        directory.registry.changes.subscribe()
    }

    /// The manager's event bus: events it emits reach subscribers in every process; its
    /// subscriptions receive events from every process (see ``EventBus``).
    public var eventBus: EventBus {
        directory.bus
    }

    // MARK: Dependencies

    /// Checks `S`'s dependencies before it is spawned: refuses a cycle, and starts what is
    /// missing (dependencies first) or refuses, as `mode` says.
    func prepareDependencies<S: ProcessService>(of type: S.Type, mode: DependencyStart, options: SpawnOptions) async throws {
        guard !S.dependencies.isEmpty else { return }
        for dependency in try Self.dependencyOrder(of: S.self) {
            try await ensureRunning(dependency, mode: mode, options: options)
        }
    }

    private func ensureRunning(_ dependency: ServiceDependency, mode: DependencyStart, options: SpawnOptions) async throws {
        let range = try MeshDirectory.range(dependency.versionRange)
        if directory.registry.find(dependency.name, in: range) != nil { return }
        guard mode.startsMissing else {
            throw DiscoveryError(.dependencyNotRunning, "\(dependency) is not running (the spawn was told not to start it)", members: [dependency.name])
        }
        guard let service = dependency.service else {
            throw DiscoveryError(.dependencyNotRunning, "\(dependency) is not running and was declared by name: it cannot be started", members: [dependency.name])
        }
        try await startDependency(service, dependency: dependency, range: range, options: options)
    }

    private func startDependency<D: ProcessService>(_ type: D.Type, dependency: ServiceDependency, range: VersionRange, options: SpawnOptions) async throws {
        guard let configuration = NoConfiguration() as? D.Configuration else {
            throw DiscoveryError(.dependencyNotRunning, "\(dependency) is not running and needs a configuration: spawn it first", members: [dependency.name])
        }
        guard range.contains(ServiceRegistry.version(D.version)) else {
            throw DiscoveryError(.dependencyNotRunning, "\(dependency) is not running, and starting it would run version \(D.version)", members: [dependency.name])
        }
        var dependencyOptions = SpawnOptions()
        dependencyOptions.executable = options.executable
        dependencyOptions.restartPolicy = options.restartPolicy
        // Its own dependencies come earlier in the order.
        dependencyOptions.dependencies = .require
        logger.info("starting a dependency", metadata: ["service": "\(dependency)"])
        _ = try await spawn(type, configuration: configuration, options: dependencyOptions)
    }

    /// `S`'s dependencies, transitively, each after its own: the order to start them in.
    /// Throws ``DiscoveryError/Code/dependencyCycle`` naming the cycle.
    static func dependencyOrder<S: ProcessService>(of type: S.Type) throws(DiscoveryError) -> [ServiceDependency] {
        var order: [ServiceDependency] = []
        var done: Set<String> = []
        var path: [String] = [S.name]
        func visit(_ dependencies: [ServiceDependency]) throws(DiscoveryError) {
            for dependency in dependencies {
                if let start = path.firstIndex(of: dependency.name) {
                    let cycle = Array(path[start...]) + [dependency.name]
                    throw DiscoveryError(.dependencyCycle, "the dependencies form a cycle: \(cycle.joined(separator: " → "))", members: cycle)
                }
                guard !done.contains(dependency.name) else { continue }
                path.append(dependency.name)
                try visit(dependency.service?.dependencies ?? [])
                path.removeLast()
                done.insert(dependency.name)
                order.append(dependency)
            }
        }
        try visit(S.dependencies)
        return order
    }
}
