import Synchronization

/// The figures of one method's calls on one side, kept together: a call adds one atomic
/// count when it starts and takes one lock when it ends, where a separate counter, meter and
/// timer take four or more atomic operations on three cache lines (contended when several
/// threads make calls).
///
/// A snapshot shows it as those three instruments, with its dimensions:
/// ``TitanMetricNames/calls`` (calls ended), ``TitanMetricNames/callsInFlight`` (started and
/// not ended) and ``TitanMetricNames/callDuration``.
public final class CallStatsBox: Sendable {
    let key: String
    private let startedCount = Atomic<Int64>(0)
    /// Durations of the calls that ended; its count is the calls counter.
    private let duration: TimerBox
    private let dimensions: [String: String]

    init(dimensions: [(String, String)]) {
        key = MetricKey.make(label: TitanMetricNames.callDuration, dimensions: dimensions)
        duration = TimerBox(label: TitanMetricNames.callDuration, dimensions: dimensions)
        self.dimensions = Dictionary(dimensions, uniquingKeysWith: { $1 })
    }

    /// A call starts.
    public func started() {
        startedCount.wrappingAdd(1, ordering: .relaxed)
    }

    /// A call that started ended after `nanoseconds`.
    public func ended(afterNanoseconds nanoseconds: Int64) {
        duration.recordNanoseconds(nanoseconds)
    }

    var samples: [MetricSample] {
        // The histogram first: a call counted there was counted as started before it ended,
        // and reading the histogram takes the lock its end released, so started >= ended.
        let histogram = duration.histogram
        let inFlight = max(0, startedCount.load(ordering: .relaxed) - Int64(clamping: histogram.count))
        return [
            MetricSample(label: TitanMetricNames.calls, dimensions: dimensions, kind: .counter, value: Double(histogram.count)),
            MetricSample(label: TitanMetricNames.callsInFlight, dimensions: dimensions, kind: .meter, value: Double(inFlight)),
            MetricSample(label: TitanMetricNames.callDuration, dimensions: dimensions, kind: .timer, value: Double(histogram.count), histogram: histogram),
        ]
    }
}
