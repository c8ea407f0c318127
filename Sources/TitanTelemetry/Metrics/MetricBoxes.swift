import CoreMetrics
import Synchronization

// The instruments of a ``MetricsRegistry``: each is the swift-metrics handler and the state a
// snapshot reads. They are public so that Titan's interceptors can hold them and record
// without going through `MetricsSystem` on every call.

/// A counter kept by a ``MetricsRegistry``.
public final class CounterBox: CounterHandler, Sendable {
    let label: String
    let dimensions: [(String, String)]
    let key: String
    private let total = Atomic<Int64>(0)

    init(label: String, dimensions: [(String, String)]) {
        self.label = label
        self.dimensions = dimensions
        key = MetricKey.make(label: label, dimensions: dimensions)
    }

    public func increment(by amount: Int64) {
        total.wrappingAdd(amount, ordering: .relaxed)
    }

    public func reset() {
        total.store(0, ordering: .relaxed)
    }

    /// The total so far.
    public var value: Int64 { total.load(ordering: .relaxed) }

    var sample: MetricSample {
        MetricSample(label: label, dimensions: dictionary(dimensions), kind: .counter, value: Double(value))
    }
}

/// A floating-point counter kept by a ``MetricsRegistry``.
public final class FloatingCounterBox: FloatingPointCounterHandler, Sendable {
    let label: String
    let dimensions: [(String, String)]
    let key: String
    private let total = Mutex<Double>(0)

    init(label: String, dimensions: [(String, String)]) {
        self.label = label
        self.dimensions = dimensions
        key = MetricKey.make(label: label, dimensions: dimensions)
    }

    public func increment(by amount: Double) {
        total.withLock { $0 += amount }
    }

    public func reset() {
        total.withLock { $0 = 0 }
    }

    var sample: MetricSample {
        MetricSample(label: label, dimensions: dictionary(dimensions), kind: .floatingPointCounter, value: total.withLock { $0 })
    }
}

/// A recorder or gauge kept by a ``MetricsRegistry``.
public final class RecorderBox: RecorderHandler, Sendable {
    let label: String
    let dimensions: [(String, String)]
    let key: String
    let aggregate: Bool
    private let state = Mutex<(last: Double, count: Int, sum: Double)>((0, 0, 0))

    init(label: String, dimensions: [(String, String)], aggregate: Bool) {
        self.label = label
        self.dimensions = dimensions
        self.aggregate = aggregate
        key = MetricKey.make(label: label, dimensions: dimensions)
    }

    public func record(_ value: Int64) {
        record(Double(value))
    }

    public func record(_ value: Double) {
        state.withLock { state in
            state.last = value
            state.count += 1
            state.sum += value
        }
    }

    var sample: MetricSample {
        let (last, count, sum) = state.withLock { $0 }
        return aggregate
            ? MetricSample(label: label, dimensions: dictionary(dimensions), kind: .recorder, value: last, count: count, sum: sum)
            : MetricSample(label: label, dimensions: dictionary(dimensions), kind: .gauge, value: last)
    }
}

/// A meter (a value that goes up and down, like calls in flight) kept by a ``MetricsRegistry``.
public final class MeterBox: MeterHandler, Sendable {
    let label: String
    let dimensions: [(String, String)]
    let key: String
    /// The value's bits: an atomic, since calls in flight move it twice per call.
    private let bits = Atomic<UInt64>(0.0.bitPattern)

    init(label: String, dimensions: [(String, String)]) {
        self.label = label
        self.dimensions = dimensions
        key = MetricKey.make(label: label, dimensions: dimensions)
    }

    public func set(_ value: Int64) { set(Double(value)) }
    public func set(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }
    public func increment(by amount: Double) { add(amount) }
    public func decrement(by amount: Double) { add(-amount) }

    private func add(_ amount: Double) {
        var old = bits.load(ordering: .relaxed)
        while true {
            let (exchanged, original) = bits.compareExchange(
                expected: old, desired: (Double(bitPattern: old) + amount).bitPattern, ordering: .relaxed
            )
            if exchanged { return }
            old = original
        }
    }

    /// The current value.
    public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }

    var sample: MetricSample {
        MetricSample(label: label, dimensions: dictionary(dimensions), kind: .meter, value: value)
    }
}

/// A timer kept by a ``MetricsRegistry``: durations in a ``LatencyHistogram``.
public final class TimerBox: TimerHandler, Sendable {
    let label: String
    let dimensions: [(String, String)]
    let key: String
    // Dense buckets while recording (an index and an add under the lock); the sparse
    // histogram is built when a snapshot is taken.
    private let state = Mutex<(buckets: [UInt64], count: UInt64, sum: Int64)>(([], 0, 0))

    init(label: String, dimensions: [(String, String)]) {
        self.label = label
        self.dimensions = dimensions
        key = MetricKey.make(label: label, dimensions: dimensions)
    }

    public func recordNanoseconds(_ duration: Int64) {
        let index = LatencyHistogram.index(of: max(0, duration))
        state.withLock { state in
            if state.buckets.isEmpty { state.buckets = [UInt64](repeating: 0, count: LatencyHistogram.bucketCount) }
            state.buckets[index] += 1
            state.count += 1
            state.sum &+= max(0, duration)
        }
    }

    /// The durations recorded so far.
    public var histogram: LatencyHistogram {
        let (buckets, count, sum) = state.withLock { $0 }
        return LatencyHistogram(denseBuckets: buckets, count: count, sum: sum)
    }

    var sample: MetricSample {
        let histogram = histogram
        return MetricSample(label: label, dimensions: dictionary(dimensions), kind: .timer, value: Double(histogram.count), histogram: histogram)
    }
}

private func dictionary(_ dimensions: [(String, String)]) -> [String: String] {
    Dictionary(dimensions, uniquingKeysWith: { $1 })
}
