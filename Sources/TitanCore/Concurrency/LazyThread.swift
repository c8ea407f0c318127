import Synchronization

/// An OS thread started on first use and kept for the life of the process: the timer, the
/// child launcher, the exit watcher and a connection's flusher each own one.
package final class LazyThread: Sendable {
    private let name: String
    private let started = Mutex(false)

    package init(name: String) {
        self.name = name
    }

    /// Starts the thread running `body` if it has not been started; returns whether this
    /// call started it.
    @discardableResult
    package func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        let first = started.withLock { started -> Bool in
            defer { started = true }
            return !started
        }
        if first { startDetachedThread(name: name, body) }
        return first
    }
}
