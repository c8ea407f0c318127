/// The values of one ``MetricsRegistry`` at one moment: what a child sends its parent when
/// asked, and what the parent re-emits into its own metrics backend.
public struct MetricsSnapshot: Sendable, Hashable, Codable {
    /// Every metric the registry held.
    public var samples: [MetricSample]

    /// A snapshot of `samples`.
    public init(samples: [MetricSample] = []) {
        self.samples = samples
    }

    /// The samples named `label` whose dimensions include every pair of `matching`.
    public func samples(_ label: String, matching: [String: String] = [:]) -> [MetricSample] {
        samples.filter { sample in
            sample.label == label && matching.allSatisfy { sample.dimensions[$0.key] == $0.value }
        }
    }

    /// The sum of the values of the samples named `label` matching `matching` (counters'
    /// totals, timers' counts).
    public func total(_ label: String, matching: [String: String] = [:]) -> Double {
        samples(label, matching: matching).reduce(0) { $0 + $1.value }
    }
}

/// One metric in a ``MetricsSnapshot``: its label, dimensions, kind and value so far.
public struct MetricSample: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of swift-metrics instrument recorded it.
    public enum Kind: UInt8, Sendable, Hashable, Codable {
        /// A `Counter`: ``MetricSample/value`` is the total so far.
        case counter = 1
        /// A `FloatingPointCounter`: ``MetricSample/value`` is the total so far.
        case floatingPointCounter = 2
        /// A `Gauge` or non-aggregating `Recorder`: ``MetricSample/value`` is the last value.
        case gauge = 3
        /// An aggregating `Recorder`: ``MetricSample/value`` is the last value,
        /// ``MetricSample/count`` and ``MetricSample/sum`` cover every value so far.
        case recorder = 4
        /// A `Meter`: ``MetricSample/value`` is its current value.
        case meter = 5
        /// A `Timer`: ``MetricSample/value`` is how many durations were recorded,
        /// ``MetricSample/histogram`` holds them in nanoseconds.
        case timer = 6
    }

    /// The metric's label (its name in Prometheus).
    public var label: String
    /// Its dimensions (labels in Prometheus).
    public var dimensions: [String: String]
    /// What sort of metric it is.
    public var kind: Kind
    /// The total (counters), the last or current value (gauges, recorders, meters), or the
    /// number of durations (timers).
    public var value: Double
    /// How many values an aggregating recorder has seen.
    public var count: Int?
    /// Their sum.
    public var sum: Double?
    /// A timer's durations in nanoseconds.
    public var histogram: LatencyHistogram?

    /// A sample with the given fields.
    public init(label: String, dimensions: [String: String], kind: Kind, value: Double, count: Int? = nil, sum: Double? = nil, histogram: LatencyHistogram? = nil) {
        self.label = label
        self.dimensions = dimensions
        self.kind = kind
        self.value = value
        self.count = count
        self.sum = sum
        self.histogram = histogram
    }

    /// The label and the dimensions, sorted: what makes two samples the same series.
    public var key: String {
        MetricKey.make(label: label, dimensions: dimensions.sorted { $0.key < $1.key })
    }

    public var description: String {
        let dims = dimensions.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
        return "\(label){\(dims)} \(value)"
    }
}

/// The key of a metric: its label and dimensions, as one string.
enum MetricKey {
    static func make(label: String, dimensions: [(String, String)]) -> String {
        guard !dimensions.isEmpty else { return label }
        var key = label
        for (name, value) in dimensions {
            key += "\u{1F}"
            key += name
            key += "\u{1E}"
            key += value
        }
        return key
    }
}
