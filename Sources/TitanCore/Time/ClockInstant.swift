/// A point in time on a ``RuntimeClock``: nanoseconds on a monotonic timeline.
///
/// Instants of one clock compare and subtract; instants of different clocks do not mean
/// anything to each other (a ``ManualClock`` starts wherever its test wants).
public struct ClockInstant: InstantProtocol, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Instants are apart by Swift's `Duration`.
    public typealias Duration = Swift.Duration

    /// Nanoseconds since the clock's origin.
    public var nanoseconds: UInt64

    /// The instant `nanoseconds` after the clock's origin.
    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    /// The instant `duration` later (saturating at the ends of the timeline; negative durations go back).
    public func advanced(by duration: Duration) -> ClockInstant {
        let (seconds, attoseconds) = duration.components
        let delta = Int64(clamping: Int128(seconds) * 1_000_000_000 + Int128(attoseconds / 1_000_000_000))
        if delta >= 0 {
            let (sum, overflow) = nanoseconds.addingReportingOverflow(UInt64(delta))
            return ClockInstant(nanoseconds: overflow ? .max : sum)
        }
        let magnitude = delta.magnitude
        return ClockInstant(nanoseconds: nanoseconds > magnitude ? nanoseconds - magnitude : 0)
    }

    /// The duration from this instant to `other` (negative if `other` is earlier).
    public func duration(to other: ClockInstant) -> Duration {
        if other.nanoseconds >= nanoseconds {
            return .nanoseconds(Int64(clamping: other.nanoseconds - nanoseconds))
        }
        return .nanoseconds(-Int64(clamping: nanoseconds - other.nanoseconds))
    }

    /// Whether `lhs` comes before `rhs` (on the same clock).
    public static func < (lhs: ClockInstant, rhs: ClockInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// An instant later than any other: a deadline that never comes.
    public static let distantFuture = ClockInstant(nanoseconds: .max)

    /// Seconds since the clock's origin, as `12.5s`.
    public var description: String { "\(Double(nanoseconds) / 1e9)s" }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to 0...UInt64.max.
    package var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let nanos = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if nanos.overflow { return .max }
        let total = nanos.partialValue.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return total.overflow ? .max : total.partialValue
    }

    /// The duration in seconds, as a `Double`.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
