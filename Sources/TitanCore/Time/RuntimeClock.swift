/// The one source of time for everything the runtime times: call timeouts, restart backoff,
/// restart intensity windows, pool recycling ages and auto-scaling cooldowns, waits for a
/// restarting process.
///
/// The runtime uses ``SystemClock/shared`` unless told otherwise; tests hand a
/// ``ManualClock`` to a `ProcessManager` and move time forward themselves, so backoff and
/// intensity can be tested without real time passing.
///
/// A runtime clock is also a Swift `Clock`, so `Task.sleep(until:clock:)` and other code
/// written against `Clock` accept it.
public protocol RuntimeClock: Clock, Sendable where Instant == ClockInstant {
    /// The current instant.
    var now: ClockInstant { get }

    /// Runs `action` once `deadline` has passed, unless ``cancel(_:)`` comes first.
    ///
    /// `action` runs on the clock's own thread (the system clock) or inside ``ManualClock/advance(by:)``:
    /// it must be quick and must not block — resume a continuation, start a task.
    @discardableResult
    func schedule(at deadline: ClockInstant, _ action: @escaping @Sendable () -> Void) -> TimerToken

    /// Cancels a scheduled action; false if it already ran or was cancelled.
    @discardableResult
    func cancel(_ token: TimerToken) -> Bool
}

/// Names one action scheduled on a ``RuntimeClock``.
///
/// Returned by ``RuntimeClock/schedule(at:_:)``; pass it to ``RuntimeClock/cancel(_:)``.
public struct TimerToken: Hashable, Sendable {
    package let rawValue: UInt64

    package init(rawValue: UInt64) {
        self.rawValue = rawValue
    }
}

extension RuntimeClock {
    /// One nanosecond: the runtime's clocks count whole nanoseconds.
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// The instant `duration` from now.
    public func deadline(after duration: Duration) -> ClockInstant {
        now.advanced(by: duration)
    }

    /// How long until `deadline`; zero once it has passed.
    public func remaining(until deadline: ClockInstant) -> Duration {
        let now = now
        return deadline > now ? now.duration(to: deadline) : .zero
    }

    /// Suspends until `deadline`; throws `CancellationError` if the task is cancelled first.
    public func sleep(until deadline: ClockInstant, tolerance: Duration? = nil) async throws {
        try await timerSleep(until: deadline)
    }

    /// Suspends for `duration`; throws `CancellationError` if the task is cancelled first.
    public func sleep(for duration: Duration) async throws {
        try await timerSleep(until: deadline(after: duration))
    }

    private func timerSleep(until deadline: ClockInstant) async throws {
        let waiter = WaiterTable<Void>(clock: self)
        // The table's deadline is the sleep: reaching it is success, not a timeout.
        try await waiter.wait(for: 0, deadline: deadline, onDeadline: { .success(()) })
    }
}
