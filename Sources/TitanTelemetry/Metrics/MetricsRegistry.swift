import CoreMetrics
import Synchronization

/// A swift-metrics backend that keeps every metric in memory and hands out
/// ``MetricsSnapshot``s of them.
///
/// Every Titan process that records metrics has one. In a child it is also the process's
/// `MetricsSystem` backend (unless the program bootstrapped its own before
/// `ProcessManager.bootstrap()`), so the service's own `Counter`s and `Timer`s reach the
/// parent with Titan's: the parent pulls snapshots and re-emits them, labelled with the
/// process, into whatever backend it bootstrapped.
public final class MetricsRegistry: MetricsFactory, Sendable {
    private struct Store {
        var counters: [String: CounterBox] = [:]
        var floatingCounters: [String: FloatingCounterBox] = [:]
        var recorders: [String: RecorderBox] = [:]
        var meters: [String: MeterBox] = [:]
        var timers: [String: TimerBox] = [:]
        var callStats: [String: CallStatsBox] = [:]
    }

    private let store = Mutex(Store())

    /// An empty registry.
    public init() {}

    // MARK: Instruments Titan records through directly

    /// The counter `label` with `dimensions`, created on first use; the same object for the
    /// same label and dimensions.
    public func counter(_ label: String, _ dimensions: [(String, String)] = []) -> CounterBox {
        box(\.counters, label, dimensions) { CounterBox(label: label, dimensions: dimensions) }
    }

    /// The timer `label` with `dimensions`, created on first use.
    public func timer(_ label: String, _ dimensions: [(String, String)] = []) -> TimerBox {
        box(\.timers, label, dimensions) { TimerBox(label: label, dimensions: dimensions) }
    }

    /// The calls of one method on one side (`dimensions`), created on first use: the
    /// ``TitanMetricNames/calls`` counter, ``TitanMetricNames/callsInFlight`` meter and
    /// ``TitanMetricNames/callDuration`` timer in one object.
    public func callStats(_ dimensions: [(String, String)]) -> CallStatsBox {
        box(\.callStats, TitanMetricNames.callDuration, dimensions) { CallStatsBox(dimensions: dimensions) }
    }

    /// The meter `label` with `dimensions`, created on first use.
    public func meter(_ label: String, _ dimensions: [(String, String)] = []) -> MeterBox {
        box(\.meters, label, dimensions) { MeterBox(label: label, dimensions: dimensions) }
    }

    /// The gauge (a non-aggregating recorder) `label` with `dimensions`, created on first use.
    public func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> RecorderBox {
        recorder(label, dimensions, aggregate: false)
    }

    private func recorder(_ label: String, _ dimensions: [(String, String)], aggregate: Bool) -> RecorderBox {
        box(\.recorders, label, dimensions) { RecorderBox(label: label, dimensions: dimensions, aggregate: aggregate) }
    }

    /// The box for `label` and `dimensions` in `table`, made by `make` on first use; the same
    /// object afterwards.
    private func box<Box: Sendable>(
        _ table: WritableKeyPath<Store, [String: Box]>, _ label: String, _ dimensions: [(String, String)], make: () -> Box
    ) -> Box {
        let key = MetricKey.make(label: label, dimensions: dimensions)
        return store.withLock { store in
            if let box = store[keyPath: table][key] { return box }
            let box = make()
            store[keyPath: table][key] = box
            return box
        }
    }

    // MARK: Snapshot

    /// Every metric's current value.
    public func snapshot() -> MetricsSnapshot {
        let store = self.store.withLock { $0 }
        var samples: [MetricSample] = []
        samples.reserveCapacity(store.counters.count + store.floatingCounters.count + store.timers.count + store.meters.count + store.recorders.count + 3 * store.callStats.count)
        for box in store.counters.values { samples.append(box.sample) }
        for box in store.floatingCounters.values { samples.append(box.sample) }
        for box in store.recorders.values { samples.append(box.sample) }
        for box in store.meters.values { samples.append(box.sample) }
        for box in store.timers.values { samples.append(box.sample) }
        for box in store.callStats.values { samples.append(contentsOf: box.samples) }
        return MetricsSnapshot(samples: samples)
    }

    // MARK: MetricsFactory

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        counter(label, dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        box(\.floatingCounters, label, dimensions) { FloatingCounterBox(label: label, dimensions: dimensions) }
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        recorder(label, dimensions, aggregate: aggregate)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        meter(label, dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        timer(label, dimensions)
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        guard let box = handler as? CounterBox else { return }
        store.withLock { _ = $0.counters.removeValue(forKey: box.key) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        guard let box = handler as? FloatingCounterBox else { return }
        store.withLock { _ = $0.floatingCounters.removeValue(forKey: box.key) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        guard let box = handler as? RecorderBox else { return }
        store.withLock { _ = $0.recorders.removeValue(forKey: box.key) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        guard let box = handler as? MeterBox else { return }
        store.withLock { _ = $0.meters.removeValue(forKey: box.key) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        guard let box = handler as? TimerBox else { return }
        store.withLock { _ = $0.timers.removeValue(forKey: box.key) }
    }
}
