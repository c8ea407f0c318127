/// Counts events over a trailing window of time: restarts within a restart policy's window,
/// a supervisor's restart intensity.
public struct SlidingWindow: Sendable, Hashable {
    /// How far back events count.
    public let length: Duration
    private var times: [ClockInstant] = []

    /// An empty window of `length`.
    public init(length: Duration) {
        self.length = length
    }

    /// Events within the window ending at `now`.
    public mutating func count(at now: ClockInstant) -> Int {
        prune(now)
        return times.count
    }

    /// Records an event at `now`.
    public mutating func record(at now: ClockInstant) {
        prune(now)
        times.append(now)
    }

    /// Forgets every event.
    public mutating func reset() {
        times.removeAll()
    }

    private mutating func prune(_ now: ClockInstant) {
        times.removeAll { $0.duration(to: now) > length }
    }
}
