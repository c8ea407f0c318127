/// Counts of durations (or any non-negative integers) in logarithmic buckets: 16 per power of
/// two, so a quantile read from it is within about 6% of the true value, whatever the range.
///
/// Small and mergeable: a child records into one, the parent receives it in a
/// ``MetricsSnapshot``, adds several together (a pool's workers) and reads quantiles.
public struct LatencyHistogram: Sendable, Hashable, Codable {
    /// Sub-buckets per power of two.
    private static let subBuckets = 16
    private static let subBits = 4
    /// Enough buckets for every non-negative Int64.
    static let bucketCount = (63 - subBits + 1) * subBuckets

    /// Bucket index → count, only buckets that have counts (sorted by index when encoded).
    private var buckets: [Int: UInt64] = [:]
    /// Values recorded.
    public private(set) var count: UInt64 = 0
    /// Their sum.
    public private(set) var sum: Int64 = 0

    /// An empty histogram.
    public init() {}

    /// A histogram from dense bucket counts (index → count), as a ``TimerBox`` keeps them.
    init(denseBuckets: [UInt64], count: UInt64, sum: Int64) {
        for (index, n) in denseBuckets.enumerated() where n > 0 { buckets[index] = n }
        self.count = count
        self.sum = sum
    }

    /// Whether nothing has been recorded.
    public var isEmpty: Bool { count == 0 }

    /// Records `value` (negative values count as 0).
    public mutating func record(_ value: Int64) {
        let value = max(0, value)
        buckets[Self.index(of: value), default: 0] += 1
        count += 1
        sum &+= value
    }

    /// Adds every value recorded in `other`.
    public mutating func merge(_ other: LatencyHistogram) {
        for (index, n) in other.buckets { buckets[index, default: 0] += n }
        count += other.count
        sum &+= other.sum
    }

    /// What was recorded in `self` and not in `earlier` (an earlier snapshot of the same
    /// histogram); buckets that shrank (a reset) count as 0.
    public func subtracting(_ earlier: LatencyHistogram) -> LatencyHistogram {
        var result = LatencyHistogram()
        for (index, n) in buckets {
            let before = earlier.buckets[index] ?? 0
            if n > before { result.buckets[index] = n - before }
        }
        result.count = count > earlier.count ? count - earlier.count : 0
        result.sum = sum > earlier.sum ? sum - earlier.sum : 0
        return result
    }

    /// The value below which `fraction` (0...1) of the recorded values fall: the middle of the
    /// bucket that holds it. Nil when empty.
    public func quantile(_ fraction: Double) -> Int64? {
        guard count > 0 else { return nil }
        let rank = max(1, UInt64((Double(count) * min(max(fraction, 0), 1)).rounded(.up)))
        var seen: UInt64 = 0
        for index in buckets.keys.sorted() {
            seen += buckets[index]!
            if seen >= rank { return Self.representative(of: index) }
        }
        return Self.representative(of: buckets.keys.max()!)
    }

    /// The mean of the recorded values; nil when empty.
    public var mean: Double? {
        count > 0 ? Double(sum) / Double(count) : nil
    }

    /// Each bucket with counts, as (a value representing it, how many values fell in it), in
    /// increasing order: what a backend that takes single values is fed.
    public var representativeCounts: [(value: Int64, count: UInt64)] {
        buckets.keys.sorted().map { (Self.representative(of: $0), buckets[$0]!) }
    }

    // MARK: Buckets

    static func index(of value: Int64) -> Int {
        if value < Int64(subBuckets) { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount          // >= subBits
        let sub = Int(value >> (exponent - subBits)) & (subBuckets - 1)
        return (exponent - subBits + 1) * subBuckets + sub
    }

    static func lowerBound(of index: Int) -> Int64 {
        if index < subBuckets { return Int64(index) }
        let exponent = index / subBuckets + subBits - 1
        let sub = index % subBuckets
        return Int64(subBuckets + sub) << (exponent - subBits)
    }

    static func representative(of index: Int) -> Int64 {
        if index < subBuckets { return Int64(index) }
        let low = lowerBound(of: index)
        let width = Int64(1) << (index / subBuckets - 1)
        return low + width / 2
    }

    // MARK: Codable (sparse, sorted)

    private enum CodingKeys: String, CodingKey { case indices, counts, count, sum }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let indices = try container.decode([Int].self, forKey: .indices)
        let counts = try container.decode([UInt64].self, forKey: .counts)
        guard indices.count == counts.count, indices.allSatisfy({ $0 >= 0 && $0 < Self.bucketCount }) else {
            throw DecodingError.dataCorruptedError(forKey: .indices, in: container, debugDescription: "malformed histogram buckets")
        }
        buckets = Dictionary(zip(indices, counts), uniquingKeysWith: +)
        count = try container.decode(UInt64.self, forKey: .count)
        sum = try container.decode(Int64.self, forKey: .sum)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let indices = buckets.keys.sorted()
        try container.encode(indices, forKey: .indices)
        try container.encode(indices.map { buckets[$0]! }, forKey: .counts)
        try container.encode(count, forKey: .count)
        try container.encode(sum, forKey: .sum)
    }
}
