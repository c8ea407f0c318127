import CoreMetrics
import FoundationEssentials
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTelemetry

extension ProcessManager {
    /// What process `id` did: calls served per method (count, errors by kind, latency
    /// percentiles, in flight), CPU, memory and descriptors from /proc, restarts, log counts,
    /// and everything the process recorded itself (the spec's `pm.getMetrics(id)`).
    ///
    /// The figures are read from the process now (a control request): they include every
    /// call it served, from any caller. For a pool, its workers' calls are added together.
    /// Throws ``/TitanCore/ProcessError/Code/unknownProcess`` for an id this manager does not run,
    /// ``/TitanCore/ProcessError/Code/unsupported`` when ``ObservabilityOptions/metrics`` is off, and the
    /// error of the request (``/TitanCore/ProcessError/Code/timedOut`` after `timeout`) if the process
    /// does not answer.
    public func metrics(of id: ProcessID, timeout: Duration = .seconds(5)) async throws -> ProcessMetrics {
        guard telemetry.options.metrics else {
            throw ProcessError.unsupported("metrics are off: create the manager with ObservabilityOptions(metrics: true)")
        }
        if let entry = entry(id) {
            let info = entry.info
            let snapshot = try await entry.metricsSnapshot(timeout: timeout)
            let pid = info.isolation == .process ? info.pid : nil
            return ProcessMetrics(
                process: id, service: info.name, pid: pid, status: info.status, restarts: info.restarts, startTime: info.startTime,
                cpuSeconds: pid.flatMap { ProcFS.cpuTime(of: $0)?.seconds }, residentBytes: info.residentMemory,
                openDescriptors: pid.flatMap { ProcFS.openDescriptorCount(of: $0) },
                methods: MethodMetrics.served(in: snapshot), logs: telemetry.logs?.existingLog(of: id)?.stats,
                snapshot: snapshot, time: Date()
            )
        }
        guard let group = group(id) else { throw ProcessError.unknownProcess(id) }
        var methods: [String: MethodMetrics] = [:]
        var samples: [MetricSample] = []
        var cpu = 0.0
        var rss = 0
        for member in await group.memberIDs() {
            guard let worker = try? await metrics(of: member, timeout: timeout) else { continue }
            methods.merge(worker.methods) { var merged = $0; merged.merge($1); return merged }
            samples += worker.snapshot.samples.map { sample in
                var sample = sample
                sample.dimensions[TitanMetricNames.process] = sample.dimensions[TitanMetricNames.process] ?? member.rawValue
                return sample
            }
            cpu += worker.cpuSeconds ?? 0
            rss += worker.residentBytes ?? 0
        }
        let stats = (group as? any PoolStatsProviding)?.poolStats
        return ProcessMetrics(
            process: id, service: group.serviceName, pid: nil, status: .running, restarts: stats?.replaced ?? 0, startTime: nil,
            cpuSeconds: cpu, residentBytes: rss, openDescriptors: nil, methods: methods, logs: nil,
            snapshot: MetricsSnapshot(samples: samples), time: Date()
        )
    }

    /// The last `last` lines and log records of process `id` (all that are kept, up to
    /// ``LogOptions/recentLines``), oldest first; with `follow`, then every new one as it
    /// arrives, until the process is forgotten or the manager shuts down.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/unsupported`` when ``LogOptions/capture`` is off and
    /// ``/TitanCore/ProcessError/Code/unknownProcess`` for a process this manager never captured.
    public func logs(of id: ProcessID, last: Int = 100, follow: Bool = false) throws -> AsyncStream<LogLine> {
        guard let pipeline = telemetry.logs else {
            throw ProcessError.unsupported("log capture is off: create the manager with LogOptions(capture: true)")
        }
        guard let log = pipeline.existingLog(of: id) else { throw ProcessError.unknownProcess(id) }
        return log.lines(last: last, follow: follow)
    }

    /// Pulls every child's metrics and re-emits them, with the manager's own, readings from
    /// /proc and the pools' figures, into the `MetricsSystem` the program bootstrapped
    /// (labelled with `process` and `pid`, see ``/TitanTelemetry/TitanMetricNames``). Runs every
    /// ``ObservabilityOptions/collectionInterval``, and before each scrape of a metrics
    /// endpoint; collections asked for together run once.
    public func collectMetrics() async {
        guard telemetry.options.metrics else { return }
        let task = telemetry.collecting.withLock { running -> Task<Void, Never> in
            if let running { return running }
            let task = Task { [self] in await collectOnce() }
            running = task
            return task
        }
        await task.value
        telemetry.collecting.withLock { running in
            if running == task { running = nil }
        }
    }

    private func collectOnce() async {
        let forwarder = telemetry.forwarder
        var live: Set<String> = ["manager"]
        if let registry = telemetry.registry {
            forwarder.forward(registry.snapshot(), source: "manager", adding: [])
        }
        let entries = allEntries
        await withTaskGroup(of: (String, MetricsSnapshot, [(String, String)])?.self) { group in
            for entry in entries {
                let info = entry.info
                guard info.status == .running else { continue }
                let source = "\(info.id)#\(info.pid ?? 0)"
                live.insert(source)
                live.insert("proc:\(info.id)")
                forwarder.forward(info.procSamples, source: "proc:\(info.id)", adding: [])
                group.addTask {
                    guard let snapshot = try? await entry.metricsSnapshot(timeout: .seconds(2)) else { return nil }
                    var extra = [(TitanMetricNames.process, info.id.rawValue)]
                    if let pid = info.pid, info.isolation == .process { extra.append((TitanMetricNames.pid, String(pid))) }
                    return (source, snapshot, extra)
                }
            }
            for await result in group {
                guard let (source, snapshot, extra) = result else { continue }
                forwarder.forward(snapshot, source: source, adding: extra)
            }
        }
        for group in allGroups {
            let source = "group:\(group.id)"
            live.insert(source)
            forwarder.forward(await group.metricsSamples(), source: source, adding: [])
        }
        forwarder.retire(sourcesNotIn: live)
    }

    /// Installs the interceptors and starts the background collection (from `init`).
    func startTelemetry() {
        telemetry.install(on: actorSystem) { [weak self] actorID in
            guard let self else { return nil }
            if let entry = self.entry(actorID.process) {
                return CallMetricsInterceptor.Callee(service: entry.info.name, process: actorID.process.rawValue)
            }
            if let group = self.group(actorID.process) {
                return CallMetricsInterceptor.Callee(service: group.serviceName, process: actorID.process.rawValue)
            }
            return nil
        }
        guard telemetry.options.metrics, let interval = telemetry.options.collectionInterval else { return }
        // Real time on purpose: a test's manual clock must not see this timer among its own.
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !self.isShutDown else { return }
                await self.collectMetrics()
            }
        }
        telemetry.background.withLock { $0 = task }
    }
}

/// A group that has pool statistics.
protocol PoolStatsProviding {
    var poolStats: PoolStats { get }
}

extension ProcessPool: PoolStatsProviding {
    var poolStats: PoolStats { stats }
}
