import CoreMetrics
import Glibc
import Prometheus
import TitanPM

/// The cost of observability on the call path, in one run: a manager with everything off
/// (no interceptor anywhere) against one with metrics and tracing on, recording into a real
/// backend (swift-prometheus, collected every second) with no tracer bootstrapped, as most
/// programs run. The two are measured in alternating blocks so they see the same machine.
func observabilityFigures(report: Report, quick: Bool) async throws {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    let off = ProcessManager(observability: .disabled)
    let on = ProcessManager(observability: ObservabilityOptions(logs: LogOptions(reemit: false), collectionInterval: .seconds(1)))
    let plain = try await off.spawn(BenchService.self, options: SpawnOptions(callTimeout: nil))
    let observed = try await on.spawn(BenchService.self, options: SpawnOptions(callTimeout: nil))

    let calls = quick ? 10_000 : 50_000
    let rounds = quick ? 4 : 10
    var offRates: [Double] = []
    var onRates: [Double] = []
    var offLatency = Samples(capacity: calls)
    var onLatency = Samples(capacity: calls)
    // CPU time per call (this process and the callee together) depends far less on what else
    // the machine runs than wall time does.
    var cpu: [Bool: (seconds: Double, calls: Int)] = [true: (0, 0), false: (0, 0)]
    let childPID = [true: on.process(id: observed.id.process)?.pid ?? 0, false: off.process(id: plain.id.process)?.pid ?? 0]
    for round in 0..<rounds {
        // Alternate which goes first, so neither always follows the other.
        for observedFirst in round.isMultiple(of: 2) ? [true, false] : [false, true] {
            let service = observedFirst ? observed : plain
            let cpuBefore = processCPUSeconds() + (ProcFS.cpuTime(of: childPID[observedFirst]!)?.seconds ?? 0)
            let rate = try await measureThroughput(calls: calls, concurrency: 64) { _ = try await service.add(1, 2) }
            let cpuAfter = processCPUSeconds() + (ProcFS.cpuTime(of: childPID[observedFirst]!)?.seconds ?? 0)
            cpu[observedFirst]!.seconds += cpuAfter - cpuBefore
            cpu[observedFirst]!.calls += calls + 1000
            if observedFirst { onRates.append(rate) } else { offRates.append(rate) }
            if observedFirst {
                try await measureLatency(warmup: 100, iterations: calls / 20, into: &onLatency) { _ = try await service.add(1, 2) }
            } else {
                try await measureLatency(warmup: 100, iterations: calls / 20, into: &offLatency) { _ = try await service.add(1, 2) }
            }
        }
    }
    let offRate = offRates.sorted()[offRates.count / 2]
    let onRate = onRates.sorted()[onRates.count / 2]
    report.add("obs_off_throughput_per_s", offRate, "calls/s")
    report.add("obs_on_throughput_per_s", onRate, "calls/s")
    report.add("obs_on_vs_off_throughput", onRate / offRate, "ratio")
    let offCPU = cpu[false]!.seconds / Double(cpu[false]!.calls) * 1e6
    let onCPU = cpu[true]!.seconds / Double(cpu[true]!.calls) * 1e6
    report.add("obs_off_cpu_us_per_call", offCPU, "us")
    report.add("obs_on_cpu_us_per_call", onCPU, "us")
    report.add("obs_on_vs_off_cpu_per_call", onCPU / offCPU, "ratio")
    report.add("obs_off_p50_us", offLatency.median, "us")
    report.add("obs_on_p50_us", onLatency.median, "us")
    report.add("obs_on_vs_off_p50", onLatency.median / offLatency.median, "ratio")

    // The figures are only worth something if the observed calls were really recorded.
    await on.collectMetrics()
    let served = try await on.metrics(of: observed.id.process).calls
    guard served >= rounds * (calls + calls / 20), registry.emitToString().contains("titan_calls_total{") else {
        fatalError("observability recorded \(served) calls; the comparison is void")
    }
    await off.shutdown()
    await on.shutdown()
}

/// User plus system CPU time of this process so far.
private func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
