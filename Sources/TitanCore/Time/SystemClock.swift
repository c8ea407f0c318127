import Glibc

/// The real monotonic clock (`CLOCK_MONOTONIC`), with one OS thread that runs scheduled
/// actions at their deadlines.
///
/// Every call with a timeout schedules an action here, so scheduling must be cheap: a heap
/// insertion and a dictionary entry, not a task. Cancelled entries stay in the heap until
/// they surface, or until the heap is rebuilt once it holds twice as many entries as live
/// timers.
public final class SystemClock: RuntimeClock, @unchecked Sendable {
    // Everything below `condition` is guarded by `mutex`; `condition` wakes the timer thread.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var heap = TimerHeap()
    private var actions: [UInt64: @Sendable () -> Void] = [:]
    private var nextToken: UInt64 = 1
    private let thread: LazyThread

    /// The clock the runtime uses unless given another.
    public static let shared = SystemClock()

    private init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        thread = LazyThread(name: "titan-timer")
    }

    /// Now on `CLOCK_MONOTONIC`, which every process on the host shares.
    public var now: ClockInstant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ClockInstant(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }

    /// Runs `action` on the clock's timer thread once `deadline` has passed (started on
    /// first use); `action` must return quickly.
    @discardableResult
    public func schedule(at deadline: ClockInstant, _ action: @escaping @Sendable () -> Void) -> TimerToken {
        pthread_mutex_lock(mutex)
        let token = nextToken
        nextToken += 1
        actions[token] = action
        heap.push(deadline: deadline.nanoseconds, token: token)
        let isEarliest = heap.first?.token == token
        pthread_mutex_unlock(mutex)
        if !thread.start({ [self] in run() }), isEarliest {
            pthread_cond_signal(condition)
        }
        return TimerToken(rawValue: token)
    }

    /// Drops a scheduled action; false if it already ran or was cancelled.
    @discardableResult
    public func cancel(_ token: TimerToken) -> Bool {
        pthread_mutex_lock(mutex)
        let removed = actions.removeValue(forKey: token.rawValue) != nil
        if removed && heap.count > 64 && heap.count > 2 * actions.count {
            heap.retain { actions[$0] != nil }
        }
        pthread_mutex_unlock(mutex)
        return removed
    }

    private func run() {
        pthread_mutex_lock(mutex)
        while true {
            guard let first = heap.first else {
                pthread_cond_wait(condition, mutex)
                continue
            }
            guard actions[first.token] != nil else {
                heap.popFirst()
                continue
            }
            if first.deadline <= now.nanoseconds {
                heap.popFirst()
                let action = actions.removeValue(forKey: first.token)
                pthread_mutex_unlock(mutex)
                action?()
                pthread_mutex_lock(mutex)
                continue
            }
            var ts = timespec(tv_sec: Int(first.deadline / 1_000_000_000), tv_nsec: Int(first.deadline % 1_000_000_000))
            pthread_cond_timedwait(condition, mutex, &ts)
        }
    }
}
