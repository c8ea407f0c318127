import Synchronization

/// A clock that moves only when told to: for tests of timeouts, backoff, restart intensity
/// and recycling ages without real time passing.
///
/// ```swift
/// let clock = ManualClock()
/// let pm = ProcessManager(clock: clock)
/// // ... a child crashes; its restart waits for a 1 s backoff ...
/// await clock.waitForTimers()          // the backoff is scheduled
/// clock.advance(by: .seconds(1))       // and now it has passed
/// ```
///
/// Scheduled actions run inside ``advance(by:)``, on the advancing thread, in deadline order.
public final class ManualClock: RuntimeClock, Sendable {
    private struct State {
        var now: ClockInstant
        var heap = TimerHeap()
        var actions: [UInt64: @Sendable () -> Void] = [:]
        var nextToken: UInt64 = 1
    }

    private let state: Mutex<State>
    private let scheduled = Broadcast<Int>()

    /// A clock standing at `start`.
    public init(start: ClockInstant = ClockInstant(nanoseconds: 1_000_000_000)) {
        state = Mutex(State(now: start))
    }

    /// Where the clock stands: its start, moved only by ``advance(by:)`` and ``advance(to:)``.
    public var now: ClockInstant { state.withLock { $0.now } }

    /// Actions scheduled and not yet run or cancelled.
    public var pendingTimers: Int { state.withLock { $0.actions.count } }

    /// Keeps `action` to run inside the ``advance(by:)`` that passes `deadline` (a deadline
    /// already passed runs at the next advance); wakes ``waitForTimers(_:)``.
    @discardableResult
    public func schedule(at deadline: ClockInstant, _ action: @escaping @Sendable () -> Void) -> TimerToken {
        let (token, pending) = state.withLock { state -> (UInt64, Int) in
            let token = state.nextToken
            state.nextToken += 1
            state.actions[token] = action
            state.heap.push(deadline: deadline.nanoseconds, token: token)
            return (token, state.actions.count)
        }
        scheduled.emit(pending)
        return TimerToken(rawValue: token)
    }

    /// Drops a scheduled action; false if it already ran or was cancelled.
    @discardableResult
    public func cancel(_ token: TimerToken) -> Bool {
        state.withLock { $0.actions.removeValue(forKey: token.rawValue) != nil }
    }

    /// Moves the clock forward by `duration`, running every action whose deadline it passes.
    public func advance(by duration: Duration) {
        advance(to: now.advanced(by: duration))
    }

    /// Moves the clock to `instant` (never backwards), running every action due by then, in
    /// deadline order; the clock reads each action's deadline while it runs.
    public func advance(to instant: ClockInstant) {
        while true {
            let due = state.withLock { state -> (@Sendable () -> Void)? in
                while let first = state.heap.first {
                    guard let action = state.actions[first.token] else {
                        state.heap.popFirst()
                        continue
                    }
                    guard first.deadline <= instant.nanoseconds else { break }
                    state.heap.popFirst()
                    state.actions[first.token] = nil
                    state.now = max(state.now, ClockInstant(nanoseconds: first.deadline))
                    return action
                }
                state.now = max(state.now, instant)
                return nil
            }
            guard let due else { return }
            due()
        }
    }

    /// Returns once at least `count` actions are scheduled: a test awaits the timer a
    /// component is about to set (a backoff, a timeout) before it advances the clock past it.
    public func waitForTimers(_ count: Int = 1) async {
        let updates = scheduled.subscribe()
        if pendingTimers >= count { return }
        for await pending in updates where pending >= count { return }
    }
}
