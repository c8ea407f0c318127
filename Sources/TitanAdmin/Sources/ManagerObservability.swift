import TitanAdminAPI
import TitanPM

/// Calls, errors, latency and in-flight counts as the processes themselves record them
/// (``TitanPM/ProcessManager/metrics(of:timeout:)``): what a manager with metrics on offers.
struct RecordedMetrics: ProcessMetricsSource {
    let manager: ProcessManager

    var name: String { "metrics" }

    func calls(of id: ProcessID) async -> CallFigures? {
        // A process that does not answer within a second is reported without calls, not waited for.
        guard let metrics = try? await manager.metrics(of: id, timeout: .seconds(1)) else { return nil }
        return CallFigures(
            calls: metrics.calls, errors: metrics.errors, inFlight: metrics.inFlight,
            latencyP50: metrics.latencyP50.map(ResourceSampler.seconds), latencyP99: metrics.latencyP99.map(ResourceSampler.seconds),
            methods: metrics.methods.sorted { $0.key < $1.key }.map { method, figures in
                MetricsReport.Method(
                    method: method, calls: figures.calls, errors: figures.errors,
                    latencyP50: figures.latencyP50.map(ResourceSampler.seconds), latencyP99: figures.latencyP99.map(ResourceSampler.seconds)
                )
            }
        )
    }
}

/// The lines a manager that captures its children's output has kept and receives
/// (``TitanPM/ProcessManager/logs(of:last:follow:)``).
struct CapturedLogs: ProcessLogSource {
    let manager: ProcessManager

    var isAvailable: Bool { manager.observability.logs.capture }

    func lines(of id: ProcessID, last: Int, follow: Bool) -> AsyncThrowingStream<LogEntry, any Error> {
        AsyncThrowingStream { continuation in
            let lines: AsyncStream<LogLine>
            do {
                lines = try manager.logs(of: id, last: last, follow: follow)
            } catch {
                continuation.finish(throwing: AdminError(.unavailable, "no output of \(id) is kept: \(error)"))
                return
            }
            let task = Task {
                for await line in lines {
                    continuation.yield(LogEntry(
                        time: line.time.timeIntervalSince1970, process: line.process.rawValue, pid: line.pid,
                        stream: line.source.rawValue, level: line.source == .log ? line.level.rawValue : nil, text: line.message
                    ))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
