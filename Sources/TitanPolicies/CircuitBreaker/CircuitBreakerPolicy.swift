/// When a circuit opens and how it recovers: the configuration of `@CircuitBreaker` and of
/// ``CircuitBreaker``.
///
/// ```swift
/// @CircuitBreaker(.consecutiveFailures(5), resetAfter: .seconds(30))
/// @CircuitBreaker(.errorRate(0.5, minimumCalls: 20, within: .seconds(60)), resetAfter: .seconds(10))
/// ```
public struct CircuitBreakerPolicy: Codable, Sendable, Hashable {
    /// What opens the circuit.
    public struct Trip: Codable, Sendable, Hashable, CustomStringConvertible {
        /// Open after this many failures in a row (nil: not used).
        public var consecutiveFailures: Int?
        /// Open when at least this fraction (0...1) of the calls in ``window`` failed ...
        public var errorRate: Double?
        /// ... and at least this many calls were made in it.
        public var minimumCalls: Int
        /// The period over which the error rate is measured.
        public var window: Duration

        /// Open after `count` failures in a row.
        public static func consecutiveFailures(_ count: Int) -> Trip {
            Trip(consecutiveFailures: max(count, 1), errorRate: nil, minimumCalls: 1, window: .seconds(60))
        }

        /// Open when `rate` (0...1) of at least `minimumCalls` calls within `window` failed.
        public static func errorRate(_ rate: Double, minimumCalls: Int = 10, within window: Duration = .seconds(60)) -> Trip {
            Trip(consecutiveFailures: nil, errorRate: min(max(rate, 0), 1), minimumCalls: max(minimumCalls, 1), window: window)
        }

        /// A readable form, for logs and messages.
        public var description: String {
            if let count = consecutiveFailures { return "consecutiveFailures(\(count))" }
            return "errorRate(\(errorRate ?? 1), minimumCalls: \(minimumCalls), within: \(window))"
        }
    }

    /// What opens the circuit.
    public var trip: Trip
    /// How long the circuit stays open before a probe call is let through.
    public var resetAfter: Duration
    /// Probe calls that must succeed, one after another, before the circuit closes again.
    public var probes: Int

    /// Opens on `trip`, stays open for `resetAfter`, closes after `probes` successful probes.
    public init(_ trip: Trip = .consecutiveFailures(5), resetAfter: Duration = .seconds(30), probes: Int = 1) {
        self.trip = trip
        self.resetAfter = resetAfter
        self.probes = max(probes, 1)
    }
}
