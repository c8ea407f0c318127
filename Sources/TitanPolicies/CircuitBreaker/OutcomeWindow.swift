/// Calls and failures over the last `length` of time, in ten buckets: the error rate a
/// circuit breaker trips on. Counts older than the window fall out a bucket at a time.
struct OutcomeWindow<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    private struct Bucket: Sendable {
        var number: Int64 = -1
        var calls = 0
        var failures = 0
    }

    private static var bucketCount: Int { 10 }
    private let bucketLength: Duration
    private var origin: Instant?
    private var buckets = [Bucket](repeating: Bucket(), count: OutcomeWindow.bucketCount)

    init(length: Duration) {
        bucketLength = length / Self.bucketCount
    }

    mutating func record(failed: Bool, at now: Instant) {
        if origin == nil { origin = now }
        let number = bucketNumber(at: now)
        let slot = Int(number % Int64(Self.bucketCount))
        if buckets[slot].number != number { buckets[slot] = Bucket(number: number) }
        buckets[slot].calls += 1
        if failed { buckets[slot].failures += 1 }
    }

    /// The calls and failures recorded in the window that ends at `now`.
    func totals(at now: Instant) -> (calls: Int, failures: Int) {
        guard origin != nil else { return (0, 0) }
        let current = bucketNumber(at: now)
        let live = buckets.filter { $0.number >= 0 && current - $0.number < Int64(Self.bucketCount) }
        return (live.reduce(0) { $0 + $1.calls }, live.reduce(0) { $0 + $1.failures })
    }

    mutating func reset() {
        buckets = [Bucket](repeating: Bucket(), count: Self.bucketCount)
    }

    private func bucketNumber(at now: Instant) -> Int64 {
        guard let origin, bucketLength > .zero else { return 0 }
        return Int64(max(0, (origin.duration(to: now) / bucketLength).rounded(.down)))
    }
}
