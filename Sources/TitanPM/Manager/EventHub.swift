import Synchronization

/// Fans process events out to every current subscriber.
final class EventHub: Sendable {
    private struct Subscribers {
        var next = 0
        var continuations: [Int: AsyncStream<ProcessEvent>.Continuation] = [:]
        var listeners: [Int: @Sendable (ProcessEvent) -> Void] = [:]
    }

    private let subscribers = Mutex(Subscribers())

    /// A new stream of the events emitted from now on. A subscriber that falls more than
    /// `buffer` events behind loses the oldest ones.
    func subscribe(buffer: Int = 1024) -> AsyncStream<ProcessEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ProcessEvent.self, bufferingPolicy: .bufferingNewest(buffer))
        let key = subscribers.withLock { subscribers -> Int in
            defer { subscribers.next += 1 }
            subscribers.continuations[subscribers.next] = continuation
            return subscribers.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.continuations.removeValue(forKey: key) }
        }
        return stream
    }

    /// Calls `listener` with every event from now on, synchronously and in order, until
    /// ``removeListener(_:)``. It runs while the emitting process holds its lock: it must not
    /// call back into the process (hand the work to a task instead). Unlike a stream, it
    /// never drops an event.
    func addListener(_ listener: @escaping @Sendable (ProcessEvent) -> Void) -> Int {
        subscribers.withLock { subscribers in
            defer { subscribers.next += 1 }
            subscribers.listeners[subscribers.next] = listener
            return subscribers.next
        }
    }

    func removeListener(_ key: Int) {
        _ = subscribers.withLock { $0.listeners.removeValue(forKey: key) }
    }

    func emit(_ event: ProcessEvent) {
        let (continuations, listeners) = subscribers.withLock { (Array($0.continuations.values), Array($0.listeners.values)) }
        for listener in listeners { listener(event) }
        for continuation in continuations { continuation.yield(event) }
    }

    /// Ends every subscriber's stream.
    func finish() {
        let continuations = subscribers.withLock { subscribers -> [AsyncStream<ProcessEvent>.Continuation] in
            defer { subscribers.continuations.removeAll() }
            return Array(subscribers.continuations.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
