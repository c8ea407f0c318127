import CoreMetrics
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
    for round in 0..<rounds {
        // Alternate which goes first, so neither always follows the other.
        for observedFirst in round.isMultiple(of: 2) ? [true, false] : [false, true] {
            let service = observedFirst ? observed : plain
            let rate = try await measureThroughput(calls: calls, concurrency: 64) { _ = try await service.add(1, 2) }
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
