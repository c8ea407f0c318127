import Synchronization

/// Fans process events out to every current subscriber.
final class EventHub: Sendable {
    private struct Subscribers {
        var next = 0
        var continuations: [Int: AsyncStream<ProcessEvent>.Continuation] = [:]
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

    func emit(_ event: ProcessEvent) {
        let continuations = subscribers.withLock { Array($0.continuations.values) }
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
