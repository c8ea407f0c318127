import Synchronization

/// Every wait of the engine — backoff between attempts, stage timeouts — goes through this one
/// clock, so a test can run retries without waiting and the runtime's clock can replace it.
struct WorkflowClock: Sendable {
    private let sleepFor: @Sendable (Duration) async throws -> Void

    /// Waits on `clock`.
    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        sleepFor = { duration in try await clock.sleep(for: duration) }
    }

    static let continuous = WorkflowClock(ContinuousClock())

    /// Waits `duration`; throws `CancellationError` if the task is cancelled first.
    func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return try Task.checkCancellation() }
        try await sleepFor(duration)
    }

    /// Runs `body` and returns its result, unless `timeout` passes first: then `body`'s task is
    /// cancelled and `timedOut()` is thrown at once, whether or not `body` heeds the cancellation.
    /// Cancelling the calling task cancels `body` and throws `CancellationError`.
    func withTimeout<T: Sendable>(
        _ timeout: Duration?,
        timedOut: @escaping @Sendable () -> any Error,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard let timeout else { return try await body() }
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard race.begin(continuation) else { return }
                let work = Task {
                    do { race.finish(.success(try await body())) } catch { race.finish(.failure(error)) }
                }
                let timer = Task {
                    do {
                        try await sleep(for: timeout)
                        race.finish(.failure(timedOut()))
                    } catch {}
                }
                race.attach([work, timer])
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }
}

/// The first of several outcomes to arrive resumes the waiter and cancels the other tasks.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var outcome: Result<T, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Registers the waiter; false (and the waiter resumed) if an outcome already arrived.
    func begin(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        guard let early else { return true }
        continuation.resume(with: early)
        return false
    }

    func attach(_ tasks: [Task<Void, Never>]) {
        let finished = state.withLock { state -> Bool in
            state.tasks = tasks
            return state.outcome != nil
        }
        if finished { tasks.forEach { $0.cancel() } }
    }

    func finish(_ outcome: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard state.outcome == nil else { return (nil, []) }
            state.outcome = outcome
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        tasks.forEach { $0.cancel() }
        continuation?.resume(with: outcome)
    }
}
