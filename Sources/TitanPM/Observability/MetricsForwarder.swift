import CoreMetrics
import Synchronization
import TitanTelemetry

/// Re-emits snapshots (a child's registry, the manager's own, readings from /proc) into the
/// `MetricsSystem` the program bootstrapped: counters by their growth since the last
/// snapshot, gauges and meters by their value, timers by the durations recorded since.
///
/// Series are kept per source (one process incarnation, the manager); a source that is gone
/// has its series destroyed, as swift-metrics backends expect of metrics that end.
final class MetricsForwarder: Sendable {
    private enum Handler: Sendable {
        case counter(any CounterHandler)
        case floatingPointCounter(any FloatingPointCounterHandler)
        case recorder(any RecorderHandler)
        case meter(any MeterHandler)
        case timer(any TimerHandler)
    }

    private struct Series: Sendable {
        var last: MetricSample
        var handler: Handler
    }

    private let sources = Mutex<[String: [String: Series]]>([:])

    /// Re-emits `snapshot` as coming from `source`, with `extra` dimensions added to each
    /// sample that does not have them already (a snapshot relayed from a grandchild keeps
    /// its own `process`).
    func forward(_ snapshot: MetricsSnapshot, source: String, adding extra: [(String, String)]) {
        let factory = MetricsSystem.factory
        guard !(factory is NOOPMetricsHandler) else { return }
        sources.withLock { sources in
            var series = sources[source] ?? [:]
            for var sample in snapshot.samples {
                for (name, value) in extra where sample.dimensions[name] == nil {
                    sample.dimensions[name] = value
                }
                let key = sample.key
                if var existing = series[key], existing.last.kind == sample.kind {
                    Self.emit(sample, since: existing.last, to: existing.handler)
                    existing.last = sample
                    series[key] = existing
                } else {
                    let handler = Self.makeHandler(for: sample, factory: factory)
                    Self.emit(sample, since: nil, to: handler)
                    series[key] = Series(last: sample, handler: handler)
                }
            }
            sources[source] = series
        }
    }

    /// Destroys the series of every source not in `live` (and not the always-live ones).
    func retire(sourcesNotIn live: Set<String>) {
        let factory = MetricsSystem.factory
        let gone = sources.withLock { sources -> [Series] in
            let dead = sources.keys.filter { !live.contains($0) }
            return dead.flatMap { sources.removeValue(forKey: $0).map { Array($0.values) } ?? [] }
        }
        for series in gone {
            switch series.handler {
            case .counter(let handler): factory.destroyCounter(handler)
            case .floatingPointCounter(let handler): factory.destroyFloatingPointCounter(handler)
            case .recorder(let handler): factory.destroyRecorder(handler)
            case .meter(let handler): factory.destroyMeter(handler)
            case .timer(let handler): factory.destroyTimer(handler)
            }
        }
    }

    private static func makeHandler(for sample: MetricSample, factory: any MetricsFactory) -> Handler {
        let dimensions = sample.dimensions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        switch sample.kind {
        case .counter: return .counter(factory.makeCounter(label: sample.label, dimensions: dimensions))
        case .floatingPointCounter: return .floatingPointCounter(factory.makeFloatingPointCounter(label: sample.label, dimensions: dimensions))
        case .gauge: return .recorder(factory.makeRecorder(label: sample.label, dimensions: dimensions, aggregate: false))
        case .recorder: return .recorder(factory.makeRecorder(label: sample.label, dimensions: dimensions, aggregate: true))
        case .meter: return .meter(factory.makeMeter(label: sample.label, dimensions: dimensions))
        case .timer: return .timer(factory.makeTimer(label: sample.label, dimensions: dimensions))
        }
    }

    private static func emit(_ sample: MetricSample, since last: MetricSample?, to handler: Handler) {
        switch handler {
        case .counter(let counter):
            let growth = sample.value - (last?.value ?? 0)
            // A counter that went down was reset: all of its value is new.
            let amount = growth >= 0 ? growth : sample.value
            if amount > 0 { counter.increment(by: Int64(amount)) }
        case .floatingPointCounter(let counter):
            let growth = sample.value - (last?.value ?? 0)
            let amount = growth >= 0 ? growth : sample.value
            if amount > 0 { counter.increment(by: amount) }
        case .recorder(let recorder):
            if sample.kind == .recorder {
                let count = (sample.count ?? 0) - (last?.count ?? 0)
                let sum = (sample.sum ?? 0) - (last?.sum ?? 0)
                // The backend gets one value per collection: the mean of the new ones.
                if count > 0 { recorder.record(sum / Double(count)) }
            } else if last == nil || last?.value != sample.value {
                recorder.record(sample.value)
            }
        case .meter(let meter):
            meter.set(sample.value)
        case .timer(let timer):
            guard let histogram = sample.histogram else { return }
            let new = last?.histogram.map { histogram.subtracting($0) } ?? histogram
            for (value, count) in new.representativeCounts {
                for _ in 0..<count { timer.recordNanoseconds(value) }
            }
        }
    }
}
