import Synchronization

/// Suspended callers, each waiting under a key for a value, with an optional deadline.
///
/// The one primitive for "park a continuation, resume it from elsewhere, give up at a
/// deadline or on cancellation": a call waiting for its reply, a caller waiting for a
/// restarting process, a call queued in a pool, a wait for a child's exit, a sleep.
///
/// Exactly one of these ends each wait: ``resume(_:with:)`` (or ``resumeAll(with:)``), the
/// deadline, the task's cancellation, or ``close(with:)``. Whichever comes first removes the
/// waiter; the others find nothing. A table closed with an error fails later waits at once.
package final class WaiterTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var continuation: UnsafeContinuation<Value, any Error>
        var timer: TimerToken?
        var onAbandon: (@Sendable (Key) -> Void)?
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var closed: (any Error)?
    }

    private let state = Mutex(State())
    package let clock: any RuntimeClock

    package init(clock: any RuntimeClock) {
        self.clock = clock
    }

    /// Suspends until `key` is resumed.
    ///
    /// - Parameters:
    ///   - key: must not be waiting already.
    ///   - deadline: when the wait ends with `onDeadline`'s result; nil waits without bound.
    ///   - onDeadline: the outcome when the deadline passes (a timeout error, or success for a sleep).
    ///   - onAbandon: runs when the wait ends by deadline or cancellation rather than by a
    ///     resume, so the owner can drop its own record of `key`.
    ///   - immediate: runs under the table's lock before suspending; a non-nil result ends the
    ///     wait at once. Decide here, from the owner's state, whether to wait at all: a resume
    ///     made after the owner changed its state either precedes this check or finds the waiter.
    ///   - registered: runs once the waiter is in place, outside the lock: send the request
    ///     whose answer will resume it here, so the answer cannot arrive before the waiter.
    package func wait(
        for key: Key,
        deadline: ClockInstant? = nil,
        onDeadline: @escaping @Sendable () -> Result<Value, any Error> = { .failure(CancellationError()) },
        onAbandon: (@Sendable (Key) -> Void)? = nil,
        immediate: () -> Result<Value, any Error>? = { nil },
        registered: () -> Void = {}
    ) async throws -> Value {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Value, any Error>) in
                let early = state.withLock { state -> Result<Value, any Error>? in
                    if let closed = state.closed { return .failure(closed) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let result = immediate() { return result }
                    state.entries[key] = Entry(continuation: continuation, timer: nil, onAbandon: onAbandon)
                    return nil
                }
                if let early {
                    continuation.resume(with: early)
                    return
                }
                defer { registered() }
                guard let deadline else { return }
                let timer = clock.schedule(at: deadline) { [weak self] in
                    self?.abandon(key, with: onDeadline())
                }
                let stillWaiting = state.withLock { state -> Bool in
                    guard state.entries[key] != nil else { return false }
                    state.entries[key]!.timer = timer
                    return true
                }
                if !stillWaiting { clock.cancel(timer) }
            }
        } onCancel: {
            abandon(key, with: .failure(CancellationError()))
        }
    }

    private func abandon(_ key: Key, with result: Result<Value, any Error>) {
        guard let entry = state.withLock({ $0.entries.removeValue(forKey: key) }) else { return }
        if let timer = entry.timer { clock.cancel(timer) }
        entry.continuation.resume(with: result)
        entry.onAbandon?(key)
    }

    /// Ends `key`'s wait with `result`; false if nobody waits under `key` (it timed out, was
    /// cancelled, or never waited).
    @discardableResult
    package func resume(_ key: Key, with result: Result<Value, any Error>) -> Bool {
        guard let entry = state.withLock({ $0.entries.removeValue(forKey: key) }) else { return false }
        if let timer = entry.timer { clock.cancel(timer) }
        entry.continuation.resume(with: result)
        return true
    }

    /// Ends every current wait with `result`.
    package func resumeAll(with result: Result<Value, any Error>) {
        let entries = state.withLock { state -> [Entry] in
            defer { state.entries.removeAll() }
            return Array(state.entries.values)
        }
        for entry in entries {
            if let timer = entry.timer { clock.cancel(timer) }
            entry.continuation.resume(with: result)
        }
    }

    /// Fails every current wait with `error`, and every later one at once. The first close wins.
    package func close(with error: any Error) {
        state.withLock { state in
            if state.closed == nil { state.closed = error }
        }
        resumeAll(with: .failure(state.withLock { $0.closed! }))
    }

    /// The error the table was closed with, if it was.
    package var closedError: (any Error)? { state.withLock { $0.closed } }

    /// How many callers wait now.
    package var count: Int { state.withLock { $0.entries.count } }
}
