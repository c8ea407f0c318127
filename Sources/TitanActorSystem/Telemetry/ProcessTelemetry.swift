import Synchronization
import TitanCore
import TitanTelemetry

/// What one process records about its calls and streams, and where.
///
/// Installed on a ``ProcessActorSystem`` with ``ProcessActorSystem/enableTelemetry(_:)``
/// (by a `ProcessManager` for the parent, by the hosting runtime in a child). A system
/// without one records nothing and pays nothing: no interceptor runs and streams count
/// nothing.
public final class ProcessTelemetry: Sendable {
    /// Where this process's metrics are kept until the parent collects them.
    public let registry: MetricsRegistry
    /// Whether calls and streams start spans through the bootstrapped tracer.
    public let tracing: Bool
    /// Whether every call is counted and timed (a ``CallMetricsInterceptor`` is installed), so
    /// that nothing else need count them again.
    public let metrics: Bool

    let streamElementsSent: CounterBox
    let streamElementsReceived: CounterBox
    let streamBytesSent: CounterBox
    let streamBytesReceived: CounterBox

    /// Telemetry recording into `registry`; `tracing` makes streams start spans too;
    /// `metrics` says whether a ``CallMetricsInterceptor`` records every call.
    public init(registry: MetricsRegistry, tracing: Bool, metrics: Bool = true) {
        self.registry = registry
        self.tracing = tracing
        self.metrics = metrics
        streamElementsSent = registry.counter(TitanMetricNames.streamElements, [(TitanMetricNames.direction, "sent")])
        streamElementsReceived = registry.counter(TitanMetricNames.streamElements, [(TitanMetricNames.direction, "received")])
        streamBytesSent = registry.counter(TitanMetricNames.streamBytes, [(TitanMetricNames.direction, "sent")])
        streamBytesReceived = registry.counter(TitanMetricNames.streamBytes, [(TitanMetricNames.direction, "received")])
    }

    func streamSent(elements: Int, bytes: Int) {
        streamElementsSent.increment(by: Int64(elements))
        streamBytesSent.increment(by: Int64(bytes))
    }

    func streamReceived(bytes: Int) {
        streamBytesReceived.increment(by: Int64(bytes))
    }

    func streamReceived(elements: Int) {
        streamElementsReceived.increment(by: Int64(elements))
    }
}

extension ProcessActorSystem {
    /// Makes this system record into `telemetry` from now on (streams; call metrics and spans
    /// come from the interceptors installed with it). Set once, before calls flow.
    public func enableTelemetry(_ telemetry: ProcessTelemetry) {
        telemetryBox.withLock { $0 = telemetry }
    }

    /// The telemetry this system records into, if any.
    public var telemetry: ProcessTelemetry? {
        telemetryBox.withLock { $0 }
    }
}
