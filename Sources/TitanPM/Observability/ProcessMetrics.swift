import FoundationEssentials

/// What a process did, as ``ProcessManager/metrics(of:timeout:)`` reads it: its calls (from the
/// process itself), its resources (from /proc) and its log counts.
public struct ProcessMetrics: Sendable, Hashable {
    /// The process (or pool) described.
    public var process: ProcessID
    /// Its service name.
    public var service: String
    /// The current incarnation's OS process id; nil when not running (a pool has none).
    public var pid: Int32?
    /// The process's status when the snapshot was taken.
    public var status: ProcessStatus
    /// Restarts so far (a pool's: workers replaced).
    public var restarts: Int
    /// When the current incarnation became ready.
    public var startTime: Date?
    /// CPU time (user plus system) of the current incarnation, in seconds.
    public var cpuSeconds: Double?
    /// Resident memory in bytes.
    public var residentBytes: Int?
    /// Open file descriptors.
    public var openDescriptors: Int?
    /// Calls served, all methods together.
    public var calls: Int { methods.values.reduce(0) { $0 + $1.calls } }
    /// Calls that failed, all methods together.
    public var errors: Int { methods.values.reduce(0) { $0 + $1.errors } }
    /// Calls running now.
    public var inFlight: Int { methods.values.reduce(0) { $0 + $1.inFlight } }
    /// Durations of every call served.
    public var latency: LatencyHistogram {
        methods.values.reduce(into: LatencyHistogram()) { $0.merge($1.latency) }
    }
    /// The median call duration.
    public var latencyP50: Duration? { latency.quantile(0.5).map { .nanoseconds($0) } }
    /// The 99th percentile call duration.
    public var latencyP99: Duration? { latency.quantile(0.99).map { .nanoseconds($0) } }
    /// Per method (`add(_:_:)`): what the process served.
    public var methods: [String: MethodMetrics]
    /// Lines and records received from the process, and how many were dropped.
    public var logs: ProcessLogStats?
    /// Everything the process recorded, its own metrics included, as it sent it.
    public var snapshot: MetricsSnapshot
    /// When the snapshot was taken.
    public var time: Date
}

/// The calls one method served.
public struct MethodMetrics: Sendable, Hashable {
    /// Calls served (finished, successfully or not).
    public var calls: Int
    /// Calls that threw.
    public var errors: Int
    /// Failed calls by kind (a ``/TitanCore/ProcessError`` code, or the error's type name).
    public var errorsByKind: [String: Int]
    /// Calls running now.
    public var inFlight: Int
    /// Their durations.
    public var latency: LatencyHistogram

    /// The median duration.
    public var latencyP50: Duration? { latency.quantile(0.5).map { .nanoseconds($0) } }
    /// The 99th percentile duration.
    public var latencyP99: Duration? { latency.quantile(0.99).map { .nanoseconds($0) } }
    /// The mean duration.
    public var latencyMean: Duration? { latency.mean.map { .nanoseconds(Int64($0)) } }

    /// Adds another process's calls of the same method (a pool's workers).
    mutating func merge(_ other: MethodMetrics) {
        calls += other.calls
        errors += other.errors
        errorsByKind.merge(other.errorsByKind, uniquingKeysWith: +)
        inFlight += other.inFlight
        latency.merge(other.latency)
    }

    /// The served calls in `snapshot`, by method.
    static func served(in snapshot: MetricsSnapshot) -> [String: MethodMetrics] {
        var methods: [String: MethodMetrics] = [:]
        func entry(_ sample: MetricSample) -> String? {
            guard sample.dimensions[TitanMetricNames.side] == "server" else { return nil }
            return sample.dimensions[TitanMetricNames.method]
        }
        let empty = MethodMetrics(calls: 0, errors: 0, errorsByKind: [:], inFlight: 0, latency: LatencyHistogram())
        for sample in snapshot.samples {
            guard let method = entry(sample) else { continue }
            switch sample.label {
            case TitanMetricNames.calls:
                methods[method, default: empty].calls += Int(sample.value)
            case TitanMetricNames.callErrors:
                methods[method, default: empty].errors += Int(sample.value)
                methods[method, default: empty].errorsByKind[sample.dimensions[TitanMetricNames.kind] ?? "unknown", default: 0] += Int(sample.value)
            case TitanMetricNames.callsInFlight:
                methods[method, default: empty].inFlight += Int(sample.value)
            case TitanMetricNames.callDuration:
                if let histogram = sample.histogram { methods[method, default: empty].latency.merge(histogram) }
            default:
                break
            }
        }
        return methods
    }
}
