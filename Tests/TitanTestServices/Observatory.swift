import CoreMetrics
import Distributed
import MetricsTestKit
import TitanPM
import TitanPMMacros
import Tracing

/// What the tracer and, without the manager's observability, the metrics backend of an
/// `Observatory` process recorded.
public struct ObservationReport: Codable, Sendable, Hashable {
    /// The process's finished spans, oldest first.
    public var spans: [RecordedSpan]
    /// The `@Metric` counters' totals and the number of timings recorded (0 when the process's
    /// telemetry records its calls instead).
    public var calls: Int64
    public var errors: Int64
    public var timings: Int
}

/// A service with a `@Trace` and `@Metric` method. Its process traces through the test
/// tracer; when the manager records no metrics in it, it bootstraps an in-memory metrics
/// backend of its own (each child is its own process, so bootstrapping is safe).
@ServiceContract
public distributed actor Observatory: ProcessService {
    public static let name = "observatory"

    /// Nil when the process's telemetry is already its `MetricsSystem`.
    private static let metrics: TestMetrics? = {
        guard MetricsSystem.factory is NOOPMetricsHandler else { return nil }
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()

    public func configure(_ configuration: NoConfiguration) async throws {
        _ = TestTracing.bootstrapped()
        _ = Self.metrics
    }

    @Trace("observatory.measure")
    @Metric("observatory_measure")
    public distributed func measure(fail: Bool) throws -> Int {
        if fail { throw MathError.overflow }
        return 1
    }

    public distributed func report() throws -> ObservationReport {
        let dimensions = [("service", Self.name), ("method", "measure(fail:)")]
        let spans = TestTracing.bootstrapped().finishedSpans
        guard let metrics = Self.metrics else { return ObservationReport(spans: spans, calls: 0, errors: 0, timings: 0) }
        return ObservationReport(
            spans: spans,
            calls: metrics.counterTotal(label: "observatory_measure_calls_total", dimensions: dimensions),
            errors: metrics.counterTotal(label: "observatory_measure_errors_total", dimensions: dimensions),
            timings: (try? metrics.expectTimer("observatory_measure_duration_seconds", dimensions).values.count) ?? 0
        )
    }
}
