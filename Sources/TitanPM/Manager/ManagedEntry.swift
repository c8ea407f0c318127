import FoundationEssentials
import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanTelemetry
import TitanProcess
import TitanTransport
import TitanWire

/// What the manager can do with any of its processes, whatever the isolation.
protocol ManagedEntry: Sendable {
    var id: ProcessID { get }
    var info: ProcessInfo { get }
    /// The mangled name of the service's type; nil for a service spawned by name.
    var serviceTypeName: String? { get }
    func stop(grace: Duration) async
    func kill(_ signal: Signal) throws
    func restart() async throws
    func health() async throws -> HealthStatus
    /// The service's manifest with the policies in force; nil without a contract.
    func contractManifest() async throws -> ServiceManifest?
    /// Each `@Cache` method's statistics, by method key.
    func cacheStatistics() async throws -> [String: CacheStatistics]
    /// What the process recorded, within `timeout`.
    func metricsSnapshot(timeout: Duration) async throws -> MetricsSnapshot
}

extension ManagedProcess: ManagedEntry {}

/// A service spawned with ``SpawnOptions/Isolation/inProcess``: hosted in this process by an
/// actor system of its own and reached over an in-memory connection, so its calls are encoded,
/// intercepted and answered exactly as a child's are (a non-`Codable` error arrives as
/// ``/TitanCore/ProcessError/Code/remote``, streams flow with credit) — only without a process. It
/// cannot be killed or restarted.
final class InProcessService: ManagedEntry, CallRoute {
    let id: ProcessID
    private let name: String
    private let version: String
    private let options: SpawnOptions
    private let service: any ProcessService
    private let client: CallClient
    private let healthCheck: @Sendable () async -> HealthStatus
    private let shutdownHook: @Sendable () async -> Void
    private let events: EventHub
    private let state: Mutex<(status: ProcessStatus, startTime: Date)>
    /// The service's contract and serving policies, in its own actor system.
    private let contract: HostedContract
    /// The caller's side of its policies.
    private let policies: CallerPolicies?
    /// The service's metrics, when the manager records metrics.
    private let registry: MetricsRegistry?

    private init(
        id: ProcessID, name: String, version: String, options: SpawnOptions, service: some ProcessService, client: CallClient, events: EventHub,
        contract: HostedContract, policies: CallerPolicies?, registry: MetricsRegistry?
    ) {
        self.contract = contract
        self.policies = policies
        self.registry = registry
        self.id = id
        self.name = name
        self.version = version
        self.options = options
        self.service = service
        self.client = client
        self.events = events
        healthCheck = { await service.whenLocal { await $0.health() } ?? .healthy }
        shutdownHook = { await service.whenLocal { await $0.shutdown() } }
        state = Mutex((.running, Date()))
        emit(.starting)
        emit(.running)
    }

    /// Creates and configures the service in its own actor system and connects `caller` to it.
    static func start<S: ProcessService>(
        _ type: S.Type,
        id: ProcessID,
        name: String,
        version: String,
        configuration: S.Configuration,
        options: SpawnOptions,
        caller: ProcessActorSystem,
        events: EventHub,
        policies: CallerPolicies?,
        telemetry: ManagerTelemetry
    ) async throws -> InProcessService {
        let host = ProcessActorSystem(processID: id, maxFrameSize: options.maxMessageSize, clock: caller.clock)
        let registry = telemetry.install(onInProcess: host, service: name)
        let service = ProcessActorSystem.$presetID.withValue(ProcessActorID(process: id, instance: 0)) { S(actorSystem: host) }
        do {
            try await service.whenLocal { try await $0.configure(configuration) }
        } catch {
            throw ProcessError(.configurationFailed, "\(S.name).configure threw: \(error)")
        }
        host.setHostInfo(service: S.name, version: version)
        for interceptor in S.interceptors { host.addInterceptor(interceptor) }
        let contract = try HostedContract.install(service, overrides: options.policies, in: host)
        let (callerEnd, serviceEnd) = InMemoryConnection.pair(maxFrameSize: options.maxMessageSize)
        host.serve(serviceEnd)
        let (client, _) = try await CallClient.connect(
            over: callerEnd, timeout: options.startTimeout, callerName: "manager", system: caller, clock: caller.clock
        ) { client, reason in
            client.failAll(.connectionLost("\(reason)"))
        }
        return InProcessService(
            id: id, name: name, version: version, options: options, service: service, client: client, events: events,
            contract: contract, policies: policies, registry: registry
        )
    }

    private func emit(_ status: ProcessStatus) {
        events.emit(ProcessEvent(process: id, name: name, status: status, pid: getpid(), exitStatus: nil, restarts: 0, reason: nil, time: Date()))
    }

    var defaultCallTimeout: Duration? { options.callTimeout }

    var serviceTypeName: String? { _mangledTypeName(type(of: service)) }

    func call(_ call: OutgoingCall) async throws -> CallReply {
        let status = state.withLock { $0.status }
        guard status == .running else { throw ProcessError.notRunning(id, status) }
        return try await policies.run(call) { [client] in try await client.call($0) }
    }

    func contractManifest() async throws -> ServiceManifest? {
        contract.manifest
    }

    func cacheStatistics() async throws -> [String: CacheStatistics] {
        contract.policies?.cacheStatistics ?? [:]
    }

    var info: ProcessInfo {
        let (status, startTime) = state.withLock { $0 }
        return ProcessInfo(
            id: id, pid: getpid(), name: name, version: version, status: status, startTime: startTime,
            restarts: 0, residentMemory: nil, lastExit: nil, isolation: .inProcess
        )
    }

    func stop(grace: Duration) async {
        let running = state.withLock { state -> Bool in
            guard state.status == .running else { return false }
            state.status = .stopping
            return true
        }
        guard running else { return }
        emit(.stopping)
        await shutdownHook()
        client.failAll(.notRunning(id, .stopped))
        state.withLock { $0.status = .stopped }
        emit(.stopped)
    }

    func kill(_ signal: Signal) throws {
        throw ProcessError.unsupported("\(id) runs in this process; it cannot be sent \(signal)")
    }

    func restart() async throws {
        throw ProcessError.unsupported("\(id) runs in this process; it cannot be restarted")
    }

    func health() async throws -> HealthStatus {
        await healthCheck()
    }

    func metricsSnapshot(timeout: Duration) async throws -> MetricsSnapshot {
        registry?.snapshot() ?? MetricsSnapshot()
    }
}
