import CoreMetrics; import Prometheus; import TitanPM; import TitanPrometheus; import Tracing

InstrumentationSystem.bootstrap(myTracer)            // every process traces (e.g. swift-otel)
ProcessManager.bootstrap()                            // children stop here and host their service
let registry = PrometheusCollectorRegistry()
MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))   // the parent's backend
let pm = ProcessManager(observability: ObservabilityOptions(
    logs: LogOptions(directory: "/var/log/app", rotation: LogRotation(maxFileSize: 10 << 20, keep: 5))))
try pm.serveMetrics(registry, port: 9464)             // Prometheus: http://127.0.0.1:9464/metrics

let calc = try await pm.spawn(Calculator.self)
let m = try await pm.metrics(of: calc.id.process)     // calls, errors by kind, p50/p99, CPU, RSS, fds
print(m)
for await line in try pm.logs(of: calc.id.process, last: 50, follow: true) { print(line) }
