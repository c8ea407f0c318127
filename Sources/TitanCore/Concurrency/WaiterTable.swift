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
///
/// A typed face over ``WaiterCore``, which does the work without generics: the table sits on
/// every call's path, and generic code running across modules looks up its types' metadata
/// at run time on every call.
package struct WaiterTable<Value: Sendable>: Sendable {
    @usableFromInline
    let core: WaiterCore

    /// A table timed by `clock`; `onAbandon` learns of every wait that gave up.
    @inlinable
    package init(clock: any RuntimeClock, onAbandon: (@Sendable (UInt64) -> Void)? = nil) {
        core = WaiterCore(clock: clock, onAbandon: onAbandon)
    }

    /// The clock that times the deadlines.
    @inlinable
    package var clock: any RuntimeClock { core.clock }

    /// Suspends until `key` is resumed.
    ///
    /// - Parameters:
    ///   - key: must not be waiting already.
    ///   - deadline: when the wait ends with `onDeadline`'s result; nil waits without bound.
    ///   - onDeadline: the outcome when the deadline passes (a timeout error, or success for a
    ///     sleep); called only if it does. A success must carry a `Value`.
    ///   - onAbandon: like the table's own, for this wait only.
    ///   - immediate: runs under the table's lock before suspending; a non-nil result ends the
    ///     wait at once. Decide here, from the owner's state, whether to wait at all: a resume
    ///     made after the owner changed its state either precedes this check or finds the waiter.
    ///   - registered: runs once the waiter is in place, outside the lock: send the request
    ///     whose answer will resume it here, so the answer cannot arrive before the waiter.
    @inlinable
    package func wait(
        for key: UInt64,
        deadline: ClockInstant? = nil,
        onDeadline: (@Sendable () -> Result<any Sendable, any Error>)? = nil,
        onAbandon: (@Sendable (UInt64) -> Void)? = nil,
        immediate: () -> Result<Value, any Error>? = { nil },
        registered: () -> Void = {}
    ) async throws -> Value {
        let value = try await core.wait(
            for: key, deadline: deadline, onDeadline: onDeadline, onAbandon: onAbandon,
            immediate: { immediate().map { $0.map { $0 as any Sendable } } },
            registered: registered
        )
        return value as! Value
    }

    /// Ends `key`'s wait with `result`; false if nobody waits under `key` (it timed out, was
    /// cancelled, or never waited).
    @inlinable @discardableResult
    package func resume(_ key: UInt64, with result: Result<Value, any Error>) -> Bool {
        core.resume(key, with: result.map { $0 as any Sendable })
    }

    /// Ends every current wait with `result`.
    @inlinable
    package func resumeAll(with result: Result<Value, any Error>) {
        core.resumeAll(with: result.map { $0 as any Sendable })
    }

    /// Fails every current wait with `error`, and every later one at once. The first close wins.
    @inlinable
    package func close(with error: any Error) {
        core.close(with: error)
    }

    /// The error the table was closed with, if it was.
    @inlinable
    package var closedError: (any Error)? { core.closedError }

    /// How many callers wait now.
    @inlinable
    package var count: Int { core.count }
}

/// The untyped workings of a ``WaiterTable``: one concrete class compiled once, here.
package final class WaiterCore: Sendable {
    private struct Entry {
        var continuation: UnsafeContinuation<any Sendable, any Error>
        var timer: TimerToken?
        var onAbandon: (@Sendable (UInt64) -> Void)?
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var closed: (any Error)?
    }

    private let state = Mutex(State())
    package let clock: any RuntimeClock
    private let onAbandon: (@Sendable (UInt64) -> Void)?

    package init(clock: any RuntimeClock, onAbandon: (@Sendable (UInt64) -> Void)?) {
        self.clock = clock
        self.onAbandon = onAbandon
    }

    package func wait(
        for key: UInt64,
        deadline: ClockInstant?,
        onDeadline: (@Sendable () -> Result<any Sendable, any Error>)?,
        onAbandon: (@Sendable (UInt64) -> Void)?,
        immediate: () -> Result<any Sendable, any Error>?,
        registered: () -> Void
    ) async throws -> any Sendable {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<any Sendable, any Error>) in
                let early = state.withLock { state -> Result<any Sendable, any Error>? in
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
                    self?.abandon(key, with: onDeadline?() ?? .failure(CancellationError()))
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

    private func abandon(_ key: UInt64, with result: Result<any Sendable, any Error>) {
        guard let entry = state.withLock({ $0.entries.removeValue(forKey: key) }) else { return }
        if let timer = entry.timer { clock.cancel(timer) }
        entry.continuation.resume(with: result)
        entry.onAbandon?(key)
        onAbandon?(key)
    }

    package func resume(_ key: UInt64, with result: Result<any Sendable, any Error>) -> Bool {
        guard let entry = state.withLock({ $0.entries.removeValue(forKey: key) }) else { return false }
        if let timer = entry.timer { clock.cancel(timer) }
        entry.continuation.resume(with: result)
        return true
    }

    package func resumeAll(with result: Result<any Sendable, any Error>) {
        let entries = state.withLock { state -> [Entry] in
            defer { state.entries.removeAll() }
            return Array(state.entries.values)
        }
        for entry in entries {
            if let timer = entry.timer { clock.cancel(timer) }
            entry.continuation.resume(with: result)
        }
    }

    package func close(with error: any Error) {
        let first = state.withLock { state -> any Error in
            if state.closed == nil { state.closed = error }
            return state.closed!
        }
        resumeAll(with: .failure(first))
    }

    package var closedError: (any Error)? { state.withLock { $0.closed } }

    package var count: Int { state.withLock { $0.entries.count } }
}
