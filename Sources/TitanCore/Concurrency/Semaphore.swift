import Glibc

/// A counting semaphore for OS threads that must sleep until another thread has work for them.
/// Never wait on it from a Swift concurrency task.
package final class Semaphore: @unchecked Sendable {
    // sem_t is itself thread-safe; the class only owns its storage.
    private let storage: UnsafeMutablePointer<sem_t>

    package init(value: UInt32 = 0) {
        storage = .allocate(capacity: 1)
        sem_init(storage, 0, value)
    }

    deinit {
        sem_destroy(storage)
        storage.deallocate()
    }

    package func signal() {
        sem_post(storage)
    }

    package func wait() {
        while sem_wait(storage) != 0 && errno == EINTR {}
    }

    /// Waits at most `timeout`; false if it ran out first.
    package func wait(timeout: Duration) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let (seconds, attoseconds) = timeout.components
        let nanos = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
        deadline.tv_sec += Int(seconds) + nanos / 1_000_000_000
        deadline.tv_nsec = nanos % 1_000_000_000
        while true {
            if sem_timedwait(storage, &deadline) == 0 { return true }
            if errno != EINTR { return false }
        }
    }
}
