import Glibc

/// Runs actions at deadlines on one OS thread: the per-call timeouts and the bounded waits
/// for a restarting process.
///
/// A task per timeout would cost a task creation and a cancellation on every call; this costs
/// a heap insertion and a dictionary removal. Cancelled entries stay in the heap until they
/// surface or until the heap is rebuilt, which happens once it holds twice as many entries as
/// live timers.
package final class DeadlineTimer: @unchecked Sendable {
    // Everything below is guarded by `mutex`; `condition` wakes the timer thread.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var heap: [(deadline: UInt64, token: UInt64)] = []
    private var actions: [UInt64: @Sendable () -> Void] = [:]
    private var nextToken: UInt64 = 1
    private var started = false

    package static let shared = DeadlineTimer()

    private init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    /// Monotonic now, in nanoseconds.
    package static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// The monotonic time (ns) at which `duration` from now will have passed (saturating).
    package static func deadline(after duration: Duration) -> UInt64 {
        let sum = now().addingReportingOverflow(duration.wholeNanoseconds)
        return sum.overflow ? .max : sum.partialValue
    }

    /// How long until `deadline`; zero if it has passed.
    package static func remaining(until deadline: UInt64) -> Duration {
        let now = now()
        return deadline > now ? .nanoseconds(Int64(clamping: deadline - now)) : .zero
    }

    /// Runs `action` on the timer thread once `deadline` (monotonic ns) has passed, unless
    /// cancelled first. Returns a token for ``cancel(_:)``. Actions must be quick.
    @discardableResult
    package func schedule(at deadline: UInt64, _ action: @escaping @Sendable () -> Void) -> UInt64 {
        pthread_mutex_lock(mutex)
        let token = nextToken
        nextToken += 1
        actions[token] = action
        push((deadline, token))
        let startThread = !started
        started = true
        let isEarliest = heap[0].token == token
        pthread_mutex_unlock(mutex)
        if startThread {
            startDetachedThread(name: "titan-timer") { [self] in run() }
        } else if isEarliest {
            pthread_cond_signal(condition)
        }
        return token
    }

    /// Cancels a scheduled action. Returns false if it already ran or was cancelled.
    @discardableResult
    package func cancel(_ token: UInt64) -> Bool {
        pthread_mutex_lock(mutex)
        let removed = actions.removeValue(forKey: token) != nil
        if removed && heap.count > 64 && heap.count > 2 * actions.count {
            heap = heap.filter { actions[$0.token] != nil }
            heap.sort { $0.deadline < $1.deadline }
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
                popFirst()
                continue
            }
            let now = Self.now()
            if first.deadline <= now {
                popFirst()
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

    // MARK: Binary min-heap on deadline (caller holds the mutex).

    private func push(_ entry: (deadline: UInt64, token: UInt64)) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func popFirst() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
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
}
