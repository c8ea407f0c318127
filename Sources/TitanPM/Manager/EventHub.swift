import Synchronization
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// Fans process events out to every current subscriber and listener.
final class EventHub: Sendable {
    private let streams = Broadcast<ProcessEvent>()
    private let listeners = Mutex<(next: Int, all: [Int: @Sendable (ProcessEvent) -> Void])>((0, [:]))

    /// A new stream of the events emitted from now on (see ``Broadcast``).
    func subscribe() -> AsyncStream<ProcessEvent> {
        streams.subscribe()
    }

    /// Calls `listener` with every event from now on, synchronously and in order, until
    /// ``removeListener(_:)``. It runs while the emitting process holds its lock: it must not
    /// call back into the process (hand the work to a task instead). Unlike a stream, it
    /// never drops an event.
    func addListener(_ listener: @escaping @Sendable (ProcessEvent) -> Void) -> Int {
        listeners.withLock { listeners in
            defer { listeners.next += 1 }
            listeners.all[listeners.next] = listener
            return listeners.next
        }
    }

    func removeListener(_ key: Int) {
        _ = listeners.withLock { $0.all.removeValue(forKey: key) }
    }

    func emit(_ event: ProcessEvent) {
        for listener in listeners.withLock({ Array($0.all.values) }) { listener(event) }
        streams.emit(event)
    }

    /// Ends every subscriber's stream.
    func finish() {
        streams.finish()
    }
}
