import Synchronization
import TitanCore

/// The manager's side of the event bus: which processes subscribe to which event types, and a
/// bounded queue of events for each of them.
///
/// An event goes once into the queue of each process that subscribes to its type, however
/// many subscribers that process has (the process fans it out), so it crosses each socket at
/// most once. A process's queue holds, for an event of a type, as many events as the largest
/// buffer among the process's subscribers to that type (at least ``minimumCapacity``): the
/// process is then further behind than its subscribers could keep. Beyond that the event
/// waits for room if the process has a ``/TitanActorSystem/EventOverflow/slowPublisher`` subscriber for the
/// type — the publisher is held up — and is dropped and counted otherwise (the count reaches
/// the process's subscribers with its next delivery). Events of one publisher are queued in
/// the order they were published.
final class EventBroker: Sendable {
    /// The least room a process's queue has for an event type.
    static let minimumCapacity = 256
    /// The most events one delivery carries.
    static let maxDelivery = 256

    private struct Subscriber {
        /// The types it takes, and what its subscribers ask for each.
        var types: [String: TypeDemand] = [:]
        var version: UInt64 = 0
        var queue: [BusEvent] = []
        var dropped: [String: Int] = [:]
        /// Events queued for it so far (each once, whatever its number of subscribers).
        var queuedTotal = 0
        /// The delivery loop waiting for events: resumed with true to look again, false when
        /// the process is removed.
        var consumer: UnsafeContinuation<Bool, Never>?
    }

    private struct State {
        var subscribers: [ProcessID: Subscriber] = [:]
        /// Publishers waiting for room, by key.
        var waiting: [UInt64: UnsafeContinuation<Void, Never>] = [:]
        var nextKey: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Process `process` now takes `types` (replacing what it took), unless a later `version`
    /// has already been applied.
    func setSubscriptions(_ process: ProcessID, _ types: [String: TypeDemand], version: UInt64) {
        state.withLock { state in
            var subscriber = state.subscribers[process] ?? Subscriber()
            guard version >= subscriber.version else { return }
            subscriber.types = types
            subscriber.version = version
            state.subscribers[process] = subscriber
        }
        wakePublishers()
    }

    /// How many events have been queued for the connections of process `process` (each event
    /// once per process, whatever its number of subscribers there).
    package func queuedTotal(for process: ProcessID) -> Int {
        state.withLock { state in
            state.subscribers.filter { $0.key == process || $0.key.rawValue.hasPrefix("\(process)#") }.values.reduce(0) { $0 + $1.queuedTotal }
        }
    }

    /// The types some process subscribes to now.
    var subscribedTypes: Set<String> {
        state.withLock { state in Set(state.subscribers.values.flatMap(\.types.keys)) }
    }

    /// Queues `events` for their subscribers, in order, waiting for room where a subscriber
    /// slows publishers; returns once every event is queued or dropped, or at once when the
    /// task is cancelled while it waits (the events not queued yet are then not delivered).
    func publish(_ events: [BusEvent]) async {
        for event in events {
            var done: Set<ProcessID> = []
            while true {
                let outcome = state.withLock { state -> (wake: [UnsafeContinuation<Bool, Never>], mustWait: Bool) in
                    var wake: [UnsafeContinuation<Bool, Never>] = []
                    var mustWait = false
                    for (process, var subscriber) in state.subscribers where !done.contains(process) {
                        guard let demand = subscriber.types[event.type] else {
                            done.insert(process)
                            continue
                        }
                        if subscriber.queue.count < Swift.max(Self.minimumCapacity, demand.buffer) {
                            subscriber.queue.append(event)
                            subscriber.queuedTotal += 1
                        } else if demand.blocking {
                            mustWait = true
                            continue
                        } else {
                            subscriber.dropped[event.type, default: 0] += 1
                        }
                        if let consumer = subscriber.consumer {
                            subscriber.consumer = nil
                            wake.append(consumer)
                        }
                        state.subscribers[process] = subscriber
                        done.insert(process)
                    }
                    return (wake, mustWait)
                }
                for consumer in outcome.wake { consumer.resume(returning: true) }
                guard outcome.mustWait else { break }
                await waitForRoom()
                // The publisher gave up (its connection ended): the rest is not delivered.
                if Task.isCancelled { return }
            }
        }
    }

    /// Suspends until some queue has been emptied (or a subscriber has gone), or the task is
    /// cancelled.
    private func waitForRoom() async {
        let key = state.withLock { state -> UInt64 in
            defer { state.nextKey += 1 }
            return state.nextKey
        }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    state.waiting[key] = continuation
                    return false
                }
                if cancelled { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: key) }?.resume()
        }
    }

    private func wakePublishers() {
        let waiting = state.withLock { state -> [UnsafeContinuation<Void, Never>] in
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for publisher in waiting { publisher.resume() }
    }

    /// The next delivery for `process`: what is queued for it, waiting until something is;
    /// nil once the process is ``remove(_:)``d.
    func next(for process: ProcessID) async -> BusDelivery? {
        while true {
            let delivery = state.withLock { state -> BusDelivery? in
                guard var subscriber = state.subscribers[process],
                      !subscriber.queue.isEmpty || !subscriber.dropped.isEmpty
                else { return nil }
                let count = min(subscriber.queue.count, Self.maxDelivery)
                let delivery = BusDelivery(events: Array(subscriber.queue[0..<count]), dropped: subscriber.dropped)
                subscriber.queue.removeFirst(count)
                subscriber.dropped = [:]
                state.subscribers[process] = subscriber
                return delivery
            }
            if let delivery {
                wakePublishers()
                return delivery
            }
            let lookAgain = await withUnsafeContinuation { (continuation: UnsafeContinuation<Bool, Never>) in
                let now = state.withLock { state -> Bool? in
                    var subscriber = state.subscribers[process] ?? Subscriber()
                    guard subscriber.queue.isEmpty, subscriber.dropped.isEmpty else { return true }
                    subscriber.consumer = continuation
                    state.subscribers[process] = subscriber
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
            if !lookAgain { return nil }
        }
    }

    /// Process `process` subscribes no more (its connection ended, it exited): its queue is
    /// dropped, its consumer ends, and publishers waiting for its room go on.
    func remove(_ process: ProcessID) {
        let consumer = state.withLock { state -> UnsafeContinuation<Bool, Never>? in
            state.subscribers.removeValue(forKey: process)?.consumer
        }
        consumer?.resume(returning: false)
        wakePublishers()
    }
}
