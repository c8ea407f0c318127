import Glibc

/// Monotonic nanoseconds.
func nowNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Latency samples in microseconds.
struct Samples {
    private(set) var values: [Double] = []

    init(capacity: Int) {
        values.reserveCapacity(capacity)
    }

    mutating func add(nanos: UInt64) {
        values.append(Double(nanos) / 1000)
    }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[index]
    }

    var median: Double { percentile(50) }
}

/// Times `iterations` sequential runs of `body` after `warmup` untimed ones.
func measureLatency(warmup: Int, iterations: Int, _ body: () async throws -> Void) async rethrows -> Samples {
    var samples = Samples(capacity: iterations)
    try await measureLatency(warmup: warmup, iterations: iterations, into: &samples, body)
    return samples
}

func measureLatency(warmup: Int, iterations: Int, into samples: inout Samples, _ body: () async throws -> Void) async rethrows {
    for _ in 0..<warmup { try await body() }
    for _ in 0..<iterations {
        let start = nowNanos()
        try await body()
        samples.add(nanos: nowNanos() - start)
    }
}

/// One reported figure.
struct Metric {
    var name: String
    var value: Double
    var unit: String
}

/// Collects figures and prints them as `METRIC name value unit` lines or one JSON object.
final class Report {
    private(set) var metrics: [Metric] = []
    let json: Bool

    init(json: Bool) {
        self.json = json
    }

    func add(_ name: String, _ value: Double, _ unit: String) {
        metrics.append(Metric(name: name, value: value, unit: unit))
        if !json {
            print("METRIC \(name) \(format(value)) \(unit)")
            fflush(nil)
        }
    }

    func value(_ name: String) -> Double? {
        metrics.first { $0.name == name }?.value
    }

    func printJSON() {
        let fields = metrics.map { "  \"\($0.name)\": {\"value\": \(format($0.value)), \"unit\": \"\($0.unit)\"}" }
        print("{\n" + fields.joined(separator: ",\n") + "\n}")
    }

    private func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        let scaled = (value * 1000).rounded() / 1000
        return String(scaled)
    }
}
