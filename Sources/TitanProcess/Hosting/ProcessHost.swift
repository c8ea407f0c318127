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
/// Order of events: read the configuration from the control socket, start watching for the
/// parent's death, construct and configure the service, listen on the socket path, report
/// ready, serve until asked to stop (a `shutdown` control request, SIGTERM or SIGINT), then
/// drain, run the service's shutdown hook and exit 0.
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

        let control = ChildEnvironment.controlFD
        guard let configuration = UnixSocket.readMessage(control, limit: environment.maxFrameSize) else {
            _exit(71) // The parent went away before sending the configuration.
        }
        ParentWatch.start(controlFD: control, expectedParent: environment.parentPID)

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
                let hosted = try await start(environment, configuration: configuration, exit: exit)
                let waitFor = stopSignals
                startDetachedThread(name: "titan-signals") {
                    var signals = waitFor
                    var received: Int32 = 0
                    sigwait(&signals, &received)
                    Task { await hosted.stop(timeout: .seconds(10)) }
                }
                _ = UnixSocket.writeMessage(control, ReadinessReport.ready.bytes)
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
        if let mangled = environment.serviceType, let type = _typeByName(mangled) as? any ProcessService.Type {
            return type
        }
        if let type = registry.withLock({ $0[environment.serviceName] }) {
            return type
        }
        throw ProcessError.serviceNotFound(environment.serviceName)
    }

    private static func start(
        _ environment: ChildEnvironment,
        configuration: [UInt8],
        exit: @escaping @Sendable (Int32) -> Void
    ) async throws -> HostedService {
        let type = try resolveService(environment)
        let system = ProcessActorSystem(processID: environment.processID, maxFrameSize: environment.maxFrameSize)
        return try await host(type, system: system, environment: environment, configuration: configuration, exit: exit)
    }

    private static func host<S: ProcessService>(
        _ type: S.Type,
        system: ProcessActorSystem,
        environment: ChildEnvironment,
        configuration: [UInt8],
        exit: @escaping @Sendable (Int32) -> Void
    ) async throws -> HostedService {
        let config: S.Configuration
        do {
            config = try system.makeDecoder().decode(S.Configuration.self, from: configuration)
        } catch {
            throw ProcessError(.configurationFailed, "could not decode \(S.Configuration.self): \(error)")
        }
        // Before the service exists, so the loggers and metrics it makes already report here.
        let registry = installTelemetry(environment, service: S.name, system: system)
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

        let listener = try Listener(path: environment.socketPath)
        let hosted = HostedService(
            service: service,
            system: system,
            contract: contract,
            listener: listener,
            health: { await service.whenLocal { await $0.health() } ?? .healthy },
            shutdownHook: { await service.whenLocal { await $0.shutdown() } },
            registry: registry,
            exit: exit
        )
        system.setControlHandler { payload in await hosted.handleControl(payload) }
        listener.start { fd in system.serve(SocketConnection(fd: fd, maxFrameSize: system.maxFrameSize)) }
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
    let listener: Listener
    let health: @Sendable () async -> HealthStatus
    let shutdownHook: @Sendable () async -> Void
    let registry: MetricsRegistry?
    let exit: @Sendable (Int32) -> Void
    private let stopping = Mutex(false)

    init(
        service: any ProcessService,
        system: ProcessActorSystem,
        contract: HostedContract,
        listener: Listener,
        health: @escaping @Sendable () async -> HealthStatus,
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
        self.shutdownHook = shutdownHook
        self.exit = exit
    }

    func handleControl(_ payload: [UInt8]) async -> Result<CallReply, any Error> {
        let request: ControlRequest
        do {
            request = try ControlRequest(payload: payload)
        } catch {
            return .failure(ProcessError.protocolViolation("\(error)"))
        }
        switch request {
        case .health:
            let status = await health()
            var frame = FrameBuilder(kind: .reply)
            do {
                try system.makeEncoder().encode(status, into: &frame.writer)
            } catch {
                return .failure(ProcessError.encodingFailed("\(error)"))
            }
            return .success(CallReply(frame: frame))
        case .shutdown(let timeout):
            Task { await stop(timeout: timeout) }
            return .success(CallReply(frame: FrameBuilder(kind: .reply)))
        case .contract, .policyStatistics:
            return contract.answer(request, encoder: system.makeEncoder()) ?? .failure(ProcessError.unsupported("\(request)"))
        case .metrics:
            var frame = FrameBuilder(kind: .reply)
            do {
                try system.makeEncoder().encode(registry?.snapshot() ?? MetricsSnapshot(), into: &frame.writer)
            } catch {
                return .failure(ProcessError.encodingFailed("\(error)"))
            }
            return .success(CallReply(frame: frame))
        }
    }

    /// Graceful stop: refuse new calls, wait (bounded) for running ones, run the hook, exit 0.
    func stop(timeout: Duration) async {
        let first = stopping.withLock { stopping -> Bool in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        listener.stop()
        let system = self.system
        let shutdownHook = self.shutdownHook
        let exit = self.exit
        // Unstructured on purpose: a hook that ignores cancellation must not hold the exit.
        Task {
            await system.drain()
            await shutdownHook()
            exit(0)
        }
        try? await system.clock.sleep(for: timeout)
        exit(0)
    }
}

/// Called by `TitanPMTestKit`'s constructor in a re-executed test binary.
@_cdecl("titan_pm_host_if_child")
public func _titanPMHostIfChild() {
    ProcessHost.runIfChild()
}
