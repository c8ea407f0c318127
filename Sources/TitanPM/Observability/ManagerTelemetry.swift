import FoundationEssentials
import Logging
import Synchronization
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTelemetry

/// What a ``ProcessManager`` keeps for observability: its own registry (calls it makes,
/// log, pool and supervisor counts), the log pipeline, and the forwarder that re-emits
/// everything into the program's `MetricsSystem`.
final class ManagerTelemetry: Sendable {
    let options: ObservabilityOptions
    /// The manager's own metrics; nil when metrics are off.
    let registry: MetricsRegistry?
    /// The children's lines and records; nil when capture is off.
    let logs: LogPipeline?
    let forwarder = MetricsForwarder()
    /// Serializes collections (a scrape and the background task may ask together).
    let collecting = Mutex<Task<Void, Never>?>(nil)
    let background = Mutex<Task<Void, Never>?>(nil)

    init(options: ObservabilityOptions, logger: Logger) {
        self.options = options
        registry = options.metrics || options.tracing ? MetricsRegistry() : nil
        logs = options.logs.capture ? LogPipeline(options: options.logs, logger: logger, registry: options.metrics ? registry : nil) : nil
    }

    /// What children are asked to record.
    var childTelemetry: ChildTelemetry {
        var telemetry: ChildTelemetry = []
        if options.metrics { telemetry.insert(.metrics) }
        if options.tracing { telemetry.insert(.tracing) }
        if options.logs.capture { telemetry.insert(.logRecords) }
        return telemetry
    }

    /// The outputs children's pipes carry to this process.
    var captured: [LogSource] {
        options.logs.capture ? [.stdout, .stderr, .log] : []
    }

    /// Installs the interceptors on the manager's actor system (the calling side).
    func install(on system: ProcessActorSystem, resolve: @escaping @Sendable (ProcessActorID) -> CallMetricsInterceptor.Callee?) {
        guard let registry else { return }
        system.enableTelemetry(ProcessTelemetry(registry: registry, tracing: options.tracing, metrics: options.metrics))
        if options.tracing { system.addInterceptor(TracingInterceptor()) }
        if options.metrics { system.addInterceptor(CallMetricsInterceptor(registry: registry, service: "manager", resolve: resolve)) }
    }

    /// The interceptors and telemetry for an in-process service's own actor system.
    func install(onInProcess system: ProcessActorSystem, service: String) -> MetricsRegistry? {
        guard options.metrics || options.tracing else { return nil }
        let registry = MetricsRegistry()
        system.enableTelemetry(ProcessTelemetry(registry: registry, tracing: options.tracing, metrics: options.metrics))
        if options.tracing { system.addInterceptor(TracingInterceptor()) }
        if options.metrics { system.addInterceptor(CallMetricsInterceptor(registry: registry, service: service)) }
        return options.metrics ? registry : nil
    }

    /// Ends the background collection, the followers' streams, and the series this manager
    /// re-emitted (its processes are gone).
    func stop() {
        background.withLock { $0?.cancel() }
        logs?.finish()
        forwarder.retire(sourcesNotIn: [])
    }
}

extension ProcessInfo {
    /// Readings from /proc of the current incarnation, as samples labelled with its service,
    /// process id and pid (restarts and up without the pid, so they stay one series).
    var procSamples: MetricsSnapshot {
        var dimensions = [TitanMetricNames.service: name, TitanMetricNames.process: id.rawValue]
        var samples = [
            MetricSample(label: TitanMetricNames.processUp, dimensions: dimensions, kind: .gauge, value: status == .running ? 1 : 0),
            MetricSample(label: TitanMetricNames.processRestarts, dimensions: dimensions, kind: .counter, value: Double(restarts)),
        ]
        guard let pid, isolation == .process else { return MetricsSnapshot(samples: samples) }
        dimensions[TitanMetricNames.pid] = String(pid)
        if let cpu = ProcFS.cpuTime(of: pid) {
            samples.append(MetricSample(label: TitanMetricNames.processCPUSeconds, dimensions: dimensions, kind: .floatingPointCounter, value: cpu.seconds))
        }
        if let rss = residentMemory {
            samples.append(MetricSample(label: TitanMetricNames.processResidentMemory, dimensions: dimensions, kind: .gauge, value: Double(rss)))
        }
        if let fds = ProcFS.openDescriptorCount(of: pid) {
            samples.append(MetricSample(label: TitanMetricNames.processOpenDescriptors, dimensions: dimensions, kind: .gauge, value: Double(fds)))
        }
        if let startTime {
            samples.append(MetricSample(label: TitanMetricNames.processStartTime, dimensions: dimensions, kind: .gauge, value: startTime.timeIntervalSince1970))
        }
        return MetricsSnapshot(samples: samples)
    }
}

extension PoolStats {
    /// The pool's figures as samples labelled with its id and service.
    func samples(pool: ProcessID, service: String) -> MetricsSnapshot {
        let dimensions = [TitanMetricNames.pool: pool.rawValue, TitanMetricNames.service: service]
        func sample(_ label: String, _ kind: MetricSample.Kind, _ value: Int) -> MetricSample {
            MetricSample(label: label, dimensions: dimensions, kind: kind, value: Double(value))
        }
        var samples = [
            sample(TitanMetricNames.poolSize, .gauge, size),
            sample(TitanMetricNames.poolBusy, .gauge, busy),
            sample(TitanMetricNames.poolIdle, .gauge, idle),
            sample(TitanMetricNames.poolQueued, .gauge, queued),
            sample(TitanMetricNames.poolProcessed, .counter, processed),
            sample(TitanMetricNames.poolErrors, .counter, errors),
            sample(TitanMetricNames.poolRejected, .counter, rejected),
        ]
        for worker in workers {
            var workerDimensions = dimensions
            workerDimensions[TitanMetricNames.worker] = worker.id.rawValue
            samples.append(MetricSample(label: TitanMetricNames.poolWorkerInFlight, dimensions: workerDimensions, kind: .gauge, value: Double(worker.inFlight)))
            samples.append(MetricSample(label: TitanMetricNames.poolWorkerProcessed, dimensions: workerDimensions, kind: .counter, value: Double(worker.processed)))
        }
        return MetricsSnapshot(samples: samples)
    }
}
