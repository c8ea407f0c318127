import Synchronization
import TitanPM

/// Records a stream of events from the moment it is created, and lets a test await one, or
/// a number of them, with a deadline — instead of polling for what the runtime announces.
///
/// ```swift
/// let events = EventRecorder(pm)                         // the manager's process events
/// try pm.kill(id)
/// let crashed = try await events.first("crash") { $0.process == id && $0.status == .crashed }
///
/// let poolEvents = EventRecorder(pool)                   // a pool's worker events
/// try await poolEvents.count("two replacements", 2) { $0.kind == .workerReplaced }
/// ```
public final class EventRecorder<Event: Sendable>: Sendable {
    private struct Waiter {
        var predicate: @Sendable (Event) -> Bool
        var needed: Int
    }

    private struct State {
        var events: [Event] = []
        var waiters: [UInt64: Waiter] = [:]
        var nextKey: UInt64 = 0
    }

    private let state = Mutex(State())
    private let waiting = WaiterTable<[Event]>(clock: SystemClock.shared)
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Records every element of `events` from now on.
    public init<Events: AsyncSequence & Sendable>(_ events: Events) where Events.Element == Event, Events.Failure == Never {
        let recording = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                self.record(event)
            }
        }
        task.withLock { $0 = recording }
    }

    deinit {
        task.withLock { $0?.cancel() }
    }

    /// Every event recorded so far, oldest first.
    public var events: [Event] { state.withLock { $0.events } }

    private func record(_ event: Event) {
        let satisfied = state.withLock { state -> [(UInt64, [Event])] in
            state.events.append(event)
            var done: [(UInt64, [Event])] = []
            for (key, waiter) in state.waiters {
                let matching = state.events.filter(waiter.predicate)
                if matching.count >= waiter.needed { done.append((key, matching)) }
            }
            for (key, _) in done { state.waiters[key] = nil }
            return done
        }
        for (key, matching) in satisfied { waiting.resume(key, with: .success(matching)) }
    }

    /// The first recorded event, past or future, matching `predicate`; throws ``TestTimeout``
    /// if none arrives within `timeout`.
    @discardableResult
    public func first(
        _ what: String,
        timeout: Duration = .seconds(20),
        where predicate: @escaping @Sendable (Event) -> Bool
    ) async throws -> Event {
        try await count(what, 1, timeout: timeout, where: predicate)[0]
    }

    /// The first `count` recorded events, past or future, matching `predicate`, once that many
    /// have arrived; throws ``TestTimeout`` if they have not within `timeout`.
    @discardableResult
    public func count(
        _ what: String,
        _ count: Int,
        timeout: Duration = .seconds(20),
        where predicate: @escaping @Sendable (Event) -> Bool
    ) async throws -> [Event] {
        let key = state.withLock { state -> UInt64 in
            defer { state.nextKey += 1 }
            return state.nextKey
        }
        let matching = try await waiting.wait(
            for: key,
            deadline: SystemClock.shared.deadline(after: timeout),
            onDeadline: { .failure(TestTimeout(what: what, timeout: timeout)) },
            onAbandon: { [weak self] key in self?.state.withLock { _ = $0.waiters.removeValue(forKey: key) } },
            immediate: {
                state.withLock { state -> Result<[Event], any Error>? in
                    let matching = state.events.filter(predicate)
                    if matching.count >= count { return .success(matching) }
                    state.waiters[key] = Waiter(predicate: predicate, needed: count)
                    return nil
                }
            }
        )
        return Array(matching.prefix(count))
    }
}

extension EventRecorder where Event == ProcessEvent {
    /// Records `manager`'s process events from now on.
    public convenience init(_ manager: ProcessManager) {
        self.init(manager.events)
    }
}

extension EventRecorder where Event == PoolEvent {
    /// Records `pool`'s worker events from now on.
    public convenience init<Service>(_ pool: ProcessPool<Service>) {
        self.init(pool.events)
    }
}

extension EventRecorder where Event == SupervisorEvent {
    /// Records `supervisor`'s own events from now on (a nested supervisor's are on its own
    /// stream: record `supervisor.supervisor(name)`).
    public convenience init(_ supervisor: Supervisor) {
        self.init(supervisor.events)
    }
}
