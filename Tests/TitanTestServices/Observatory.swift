import CoreMetrics
import Distributed
import InMemoryTracing
import MetricsTestKit
import TitanPM
import TitanPMMacros
import Tracing

/// What the metrics and tracing backends of an `Observatory` process recorded.
public struct ObservationReport: Codable, Sendable, Hashable {
    /// The names of the finished spans, oldest first.
    public var spans: [String]
    /// How many of them recorded an error.
    public var failedSpans: Int
    /// The `@Metric` counters' totals and the number of timings recorded.
    public var calls: Int64
    public var errors: Int64
    public var timings: Int
}

/// A service with a `@Trace` and `@Metric` method, whose process records into in-memory
/// backends it installs at start (each child is its own process, so bootstrapping is safe).
@ServiceContract
public distributed actor Observatory: ProcessService {
    public static let name = "observatory"

    private static let backends: (metrics: TestMetrics, tracer: InMemoryTracer) = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        let tracer = InMemoryTracer()
        InstrumentationSystem.bootstrap(tracer)
        return (metrics, tracer)
    }()

    public func configure(_ configuration: NoConfiguration) async throws {
        _ = Self.backends
    }

    @Trace("observatory.measure")
    @Metric("observatory_measure")
    public distributed func measure(fail: Bool) throws -> Int {
        if fail { throw MathError.overflow }
        return 1
    }

    public distributed func report() throws -> ObservationReport {
        let (metrics, tracer) = Self.backends
        let dimensions = [("service", Self.name), ("method", "measure(fail:)")]
        let spans = tracer.finishedSpans
        return ObservationReport(
            spans: spans.map(\.operationName),
            failedSpans: spans.filter { !$0.errors.isEmpty }.count,
            calls: metrics.counterTotal(label: "observatory_measure_calls_total", dimensions: dimensions),
            errors: metrics.counterTotal(label: "observatory_measure_errors_total", dimensions: dimensions),
            timings: (try? metrics.expectTimer("observatory_measure_duration_seconds", dimensions).values.count) ?? 0
        )
    }
}
