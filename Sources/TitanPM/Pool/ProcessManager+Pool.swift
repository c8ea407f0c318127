import TitanCore
import TitanWire
import TitanTransport
import TitanActorSystem
import TitanProcess

extension ProcessManager {
    /// Starts a pool of `type` workers and returns once its initial workers are running.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/startFailed`` if no worker could be started,
    /// ``/TitanCore/ProcessError/Code/unsupported`` for ``SpawnOptions/Isolation-swift.enum/inProcess``
    /// workers, and ``/TitanCore/ProcessError/Code/shuttingDown`` after the manager's shutdown.
    /// Some workers failing to start is not an error: the pool retries them.
    ///
    /// ```swift
    /// let pool = try await pm.pool(Resizer.self, options: PoolOptions(size: .fixed(4)))
    /// try await pool.proxy.resize(image)
    /// ```
    public func pool<Service: ProcessService>(
        _ type: Service.Type,
        options: PoolOptions = PoolOptions()
    ) async throws -> ProcessPool<Service> where Service.Configuration == NoConfiguration {
        try await pool(type, configuration: NoConfiguration(), options: options)
    }

    /// Starts a pool of `type` workers, each configured with `configuration`; throws as
    /// ``pool(_:options:)``.
    public func pool<Service: ProcessService>(
        _ type: Service.Type,
        configuration: Service.Configuration,
        options: PoolOptions = PoolOptions()
    ) async throws -> ProcessPool<Service> {
        guard options.worker.isolation == .process else {
            throw ProcessError.unsupported("pool workers run in their own processes")
        }
        guard !isShutDown else { throw ProcessError.shuttingDown }
        try await prepareDependencies(of: Service.self, mode: options.worker.dependencies, options: options.worker)
        let pool = try ProcessPool<Service>(manager: self, configuration: configuration, options: options)
        addGroup(pool)
        do {
            try await pool.start()
        } catch {
            removeGroup(pool.id)
            throw error
        }
        directory.registry.registerPool(
            pool.id, name: Service.name, version: options.worker.version ?? Service.version, serviceType: _mangledTypeName(Service.self),
            reachableByChildren: options.worker.reachableByChildren
        )
        return pool
    }
}
