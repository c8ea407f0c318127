import CTitan
import CoreMetrics
import Glibc
import Logging
import Synchronization
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanTelemetry
import TitanTransport
import TitanWire

/// The child side: hosts one service for the parent that started this process.
///
/// Order of events: make this process non-dumpable (no process of the same user may trace it,
/// read its memory or take its descriptors), read the ``ChildBootstrap`` from the control
/// socket (descriptor 3), start watching for the parent's death and reading the control
/// channel (descriptor 4), construct and configure the service, listen on the abstract socket
/// the bootstrap names (callers must prove the secret), report ready, then serve the manager's
/// calls on the control socket itself and introduced callers on the listening socket, until
/// asked to stop (a `shutdown` request on the control channel, SIGTERM or SIGINT); then drain,
/// run the service's shutdown hook and exit 0 — by the stop's deadline at the latest, whatever
/// the service is doing.
package enum ProcessHost {
    private static let registry = Mutex<[String: any ProcessService.Type]>([:])

    /// Makes services findable by ``ProcessService/name`` (for parents that spawn by name).
    package static func register(_ services: [any ProcessService.Type]) {
        registry.withLock { registry in
            for service in services { registry[service.name] = service }
        }
    }

    /// If this process is a Titan child, hosts its service and never returns.
    package static func runIfChild() {
        guard ChildEnvironment.isChild else { return }
        guard let environment = ChildEnvironment.current() else {
            print("titan: incomplete child environment; was this process started by a ProcessManager?")
            fflush(nil)
            _exit(70)
        }
        run(environment)
    }

    private static func run(_ environment: ChildEnvironment) -> Never {
        titan_line_buffer_stdout()
        signal(SIGPIPE, SIG_IGN)
        // Block the stop signals before any other thread exists, so every thread inherits the
        // mask and only the signal thread below receives them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        ChildEnvironment.clear()
        _ = titan_set_dumpable(0)

        let control = ChildEnvironment.controlFD
        guard let message = UnixSocket.readMessage(control, limit: environment.maxFrameSize + 4096),
              let bootstrap = try? ChildBootstrap(bytes: message)
        else {
            _exit(71) // The parent went away before sending the bootstrap.
        }
        ParentWatch.start(controlFD: control, expectedParent: environment.parentPID)
        // The runtime's own descriptors are not for the processes the service starts.
        for fd in [control, ChildEnvironment.controlChannelFD, ChildEnvironment.logFD] {
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        }
        let hostedService = Mutex<HostedService?>(nil)
        ControlChannel(fd: ChildEnvironment.controlChannelFD).start { request, reply in
            guard let hosted = hostedService.withLock({ $0 }) else {
                reply(.failure(ProcessError.startFailed("the service is not ready")))
                return
            }
            hosted.handle(request, reply: reply)
        }

        let exitCode = Mutex<Int32?>(nil)
        let finished = Semaphore()
        let exit: @Sendable (Int32) -> Void = { code in
            let first = exitCode.withLock { exitCode -> Bool in
                guard exitCode == nil else { return false }
                exitCode = code
                return true
            }
            if first { finished.signal() }
        }

        Task {
            do {
                let hosted = try await start(environment, bootstrap: bootstrap, exit: exit)
                hostedService.withLock { $0 = hosted }
                let waitFor = stopSignals
                // SIGTERM comes from a parent whose graceful request went unanswered, or from
                // outside: either way the stop ends within the parent's stop timeout.
                let stopTimeout = environment.stopTimeout
                startDetachedThread(name: "titan-signals") {
                    var signals = waitFor
                    var received: Int32 = 0
                    sigwait(&signals, &received)
                    hosted.stop(timeout: stopTimeout)
                }
                let image = ImageIdentity.currentProcess()?.description ?? "unknown"
                guard UnixSocket.writeMessage(control, ReadinessReport.ready(image: image).bytes) else { return exit(0) }
                // From here on the control socket is the manager's connection for calls.
                // Holding the other end is the proof; ParentWatch ends this process when it
                // hangs up.
                hosted.system.serve(
                    SocketConnection(fd: control, maxFrameSize: environment.maxFrameSize, maxUnsentBytes: bootstrap.limits.maxUnsentBytes),
                    authentication: .channel,
                    isManager: true
                )
            } catch {
                let stage: ReadinessReport.Stage = switch (error as? ProcessError)?.code {
                case .serviceNotFound?: .serviceNotFound
                case .configurationFailed?: .configuration
                default: .start
                }
                _ = UnixSocket.writeMessage(control, ReadinessReport.failed(stage, "\(error)").bytes)
                exit(1)
            }
        }
        finished.wait()
        // The service's last records (its shutdown hook's, say) must reach the parent.
        if environment.telemetry.contains(.logRecords) { LogForwarder.shared.flush(timeout: .seconds(1)) }
        fflush(nil)
        _exit(exitCode.withLock { $0 } ?? 0)
    }

    private static func resolveService(_ environment: ChildEnvironment) throws -> any ProcessService.Type {
        if let mangled = environment.serviceType, let type = TypeName.resolve(mangled) as? any ProcessService.Type {
            return type
        }
        if let type = registry.withLock({ $0[environment.serviceName] }) {
            return type
        }
        throw ProcessError.serviceNotFound(environment.serviceName)
    }

    private static func start(
        _ environment: ChildEnvironment,
        bootstrap: ChildBootstrap,
        exit: @escaping @Sendable (Int32) -> Void
    ) async throws -> HostedService {
        let type = try resolveService(environment)
        let system = ProcessActorSystem(processID: environment.processID, maxFrameSize: environment.maxFrameSize)
        return try await host(type, system: system, environment: environment, bootstrap: bootstrap, exit: exit)
    }

    private static func host<S: ProcessService>(
        _ type: S.Type,
        system: ProcessActorSystem,
        environment: ChildEnvironment,
        bootstrap: ChildBootstrap,
        exit: @escaping @Sendable (Int32) -> Void
    ) async throws -> HostedService {
        let config: S.Configuration
        do {
            config = try system.makeDecoder().decode(S.Configuration.self, from: bootstrap.configuration)
        } catch {
            throw ProcessError(.configurationFailed, "could not decode \(S.Configuration.self): \(error)")
        }
        // Before the service exists, so the loggers and metrics it makes already report here.
        let registry = installTelemetry(environment, service: S.name, system: system)
        // Before the service exists too: its configure may discover the services it depends on.
        if let address = bootstrap.meshAddress {
            system.attach(MeshEndpoint(address: address, managerPID: environment.parentPID, secret: bootstrap.secret, dependencies: S.dependencies))
        }
        let root = ProcessActorID(process: environment.processID, instance: 0)
        let service = ProcessActorSystem.$presetID.withValue(root) { S(actorSystem: system) }
        do {
            try await service.whenLocal { try await $0.configure(config) }
        } catch {
            throw ProcessError(.configurationFailed, "\(S.name).configure threw: \(error)")
        }
        system.setHostInfo(service: S.name, version: S.version)
        for interceptor in S.interceptors { system.addInterceptor(interceptor) }
        let contract: HostedContract
        do {
            contract = try HostedContract.install(service, overrides: try environment.policies(), in: system)
        } catch let error as PolicyError {
            throw ProcessError(.configurationFailed, "\(error)")
        }

        let listener = try bootstrap.listenAddress.map { address in
            try Listener(path: address, maxConnections: bootstrap.limits.maxConnections, allowedUID: geteuid())
        }
        let hosted = HostedService(
            service: service,
            system: system,
            contract: contract,
            listener: listener,
            health: { await service.whenLocal { await $0.health() } ?? .healthy },
            probe: { await service.whenLocal { _ in } },
            shutdownHook: { await service.whenLocal { await $0.shutdown() } },
            registry: registry,
            exit: exit
        )
        if let listener {
            let limits = bootstrap.limits
            let authentication = CallerAuthentication.secret(bootstrap.secret, handshakeTimeout: limits.handshakeTimeout)
            listener.start { fd in
                let connection = SocketConnection(
                    fd: fd, maxFrameSize: system.maxFrameSize,
                    handshakeFrameLimit: Hello.maxSize, maxUnsentBytes: limits.maxUnsentBytes
                )
                system.serve(connection, authentication: authentication) { listener.connectionClosed() }
            }
        }
        return hosted
    }
}

extension ProcessHost {
    /// Sets up what the parent asked this child to record: the call interceptors, the
    /// metrics registry (also the process's `MetricsSystem` backend when the program has not
    /// bootstrapped one), and log forwarding (when the program has not bootstrapped a
    /// `LoggingSystem`: records then go to the parent instead of this process's stderr).
    /// Returns the registry the parent pulls, if metrics are on.
    static func installTelemetry(_ environment: ChildEnvironment, service: String, system: ProcessActorSystem) -> MetricsRegistry? {
        let telemetry = environment.telemetry
        if telemetry.contains(.logRecords), Logger(label: "titan.probe").handler is StreamLogHandler {
            let level = environment.logLevel.flatMap(Logger.Level.init(rawValue:)) ?? .info
            LoggingSystem.bootstrap({ label, provider in
                ForwardingLogHandler(logLevel: level, label: label, metadataProvider: provider)
            }, metadataProvider: nil)
        }
        guard telemetry.contains(.metrics) || telemetry.contains(.tracing) else { return nil }
        let registry = MetricsRegistry()
        system.enableTelemetry(ProcessTelemetry(registry: registry, tracing: telemetry.contains(.tracing), metrics: telemetry.contains(.metrics)))
        if telemetry.contains(.tracing) { system.addInterceptor(TracingInterceptor()) }
        guard telemetry.contains(.metrics) else { return nil }
        system.addInterceptor(CallMetricsInterceptor(registry: registry, service: service))
        if MetricsSystem.factory is NOOPMetricsHandler { MetricsSystem.bootstrap(registry) }
        return registry
    }
}

/// A running service and the means to stop it.
private final class HostedService: Sendable {
    let service: any ProcessService
    let system: ProcessActorSystem
    let contract: HostedContract
    let listener: Listener?
    let health: @Sendable () async -> HealthStatus
    /// Returns once the service's actor has run a job: it is not stuck.
    let probe: @Sendable () async -> Void
    let shutdownHook: @Sendable () async -> Void
    let registry: MetricsRegistry?
    let exit: @Sendable (Int32) -> Void
    private let stopping = Mutex(false)

    init(
        service: any ProcessService,
        system: ProcessActorSystem,
        contract: HostedContract,
        listener: Listener?,
        health: @escaping @Sendable () async -> HealthStatus,
        probe: @escaping @Sendable () async -> Void,
        shutdownHook: @escaping @Sendable () async -> Void,
        registry: MetricsRegistry?,
        exit: @escaping @Sendable (Int32) -> Void
    ) {
        self.registry = registry
        self.service = service
        self.system = system
        self.contract = contract
        self.listener = listener
        self.health = health
        self.probe = probe
        self.shutdownHook = shutdownHook
        self.exit = exit
    }

    /// A request from the control channel's thread. Stops, cancellations and metrics are
    /// carried out right there, on a thread no user code runs on (a busy service still reports
    /// its metrics); health and heartbeats need the actor.
    func handle(_ request: ControlRequest, reply: @escaping ControlChannel.Reply) {
        switch request {
        case .shutdown, .cancel, .metrics, .contract, .policyStatistics:
            Task.immediate { reply(await self.handle(request)) }
        case .health, .heartbeat:
            Task { reply(await self.handle(request)) }
        }
    }

    private func handle(_ request: ControlRequest) async -> Result<[UInt8], ProcessError> {
        switch request {
        case .health:
            do {
                return .success(try system.makeEncoder().encode(await health()))
            } catch {
                return .failure(ProcessError.encodingFailed("\(error)"))
            }
        case .heartbeat:
            await probe()
            return .success([])
        case .shutdown(let timeout):
            stop(timeout: timeout)
            return .success([])
        case .cancel(let callID):
            system.cancelManagerCall(callID)
            return .success([])
        case .metrics:
            do {
                return .success(try system.makeEncoder().encode(registry?.snapshot() ?? MetricsSnapshot()))
            } catch {
                return .failure(ProcessError.encodingFailed("\(error)"))
            }
        case .contract, .policyStatistics:
            return contract.answer(request, encoder: system.makeEncoder())
        }
    }

    /// Graceful stop: refuse new calls, wait for running ones, run the hook, exit 0 — and exit 0
    /// at `timeout` at the latest, from a thread of its own: a hook that ignores cancellation,
    /// or a service that keeps every thread of the pool busy, cannot hold the exit.
    func stop(timeout: Duration) {
        let first = stopping.withLock { stopping -> Bool in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        listener?.stop()
        let system = self.system
        let shutdownHook = self.shutdownHook
        let exit = self.exit
        Task {
            await system.drain()
            await shutdownHook()
            exit(0)
        }
        startDetachedThread(name: "titan-deadline") {
            let (seconds, attoseconds) = timeout.components
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
            exit(0)
        }
    }
}

/// Called by `TitanPMTestKit`'s constructor in a re-executed test binary.
@_cdecl("titan_pm_host_if_child")
public func _titanPMHostIfChild() {
    ProcessHost.runIfChild()
}
