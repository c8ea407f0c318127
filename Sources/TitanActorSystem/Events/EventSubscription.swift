import Synchronization
import TitanCore
import TitanWire

/// One subscriber's buffer as the process's event fan-out sees it, whatever its event type.
package protocol SubscriberSink: AnyObject, Sendable {
    var overflow: EventOverflow { get }
    var bufferSize: Int { get }
    /// Takes one event of the sink's type; with ``EventOverflow/slowPublisher`` it waits for room.
    func offer(_ payload: [UInt8], decoder: WireDecoder) async
    /// Counts events the manager dropped for this process because its queue was full.
    func addDropped(_ count: Int)
    /// No more events will come.
    func finish()
}

/// The events of one type that reach this process, from every publisher, as an
/// `AsyncSequence` (`EventBus.events(of:bufferSize:overflow:)` in `TitanPM`).
///
/// Events of one publisher arrive in the order it emitted them. The subscription holds at
/// most its buffer size of events not yet read; what happens beyond that is its
/// ``EventOverflow`` policy, and every event dropped is counted in ``dropped``. It ends when it
/// is cancelled or released, or when the process's connection to its manager ends.
public final class EventSubscription<Event: Codable & Sendable>: AsyncSequence, SubscriberSink, Sendable {
    public typealias Element = Event
    public typealias Failure = Never

    private struct State {
        var buffer: [Event] = []
        var head = 0
        var dropped = 0
        var finished = false
        var reader: UnsafeContinuation<Event?, Never>?
        /// A delivery waiting for room (``EventOverflow/slowPublisher``).
        var writer: UnsafeContinuation<Void, Never>?

        var count: Int { buffer.count - head }

        mutating func pop() -> Event? {
            guard head < buffer.count else { return nil }
            let event = buffer[head]
            head += 1
            if head > 64 && head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return event
        }
    }

    /// The buffer's bound.
    public let bufferSize: Int
    /// What happens when the buffer is full.
    public let overflow: EventOverflow
    private let state = Mutex(State())
    private let onCancel: @Sendable () -> Void

    package init(bufferSize: Int, overflow: EventOverflow, onCancel: @escaping @Sendable () -> Void) {
        self.bufferSize = Swift.max(1, bufferSize)
        self.overflow = overflow
        self.onCancel = onCancel
    }

    deinit {
        onCancel()
    }

    /// Events dropped so far: by the overflow policy here, or by the manager when this
    /// process's queue was full.
    public var dropped: Int { state.withLock { $0.dropped } }

    /// Events received and not read yet.
    public var buffered: Int { state.withLock { $0.count } }

    /// Ends the subscription: no more events are delivered to it, and iteration ends after
    /// what is buffered.
    public func cancel() {
        onCancel()
        finish()
    }

    package func offer(_ payload: [UInt8], decoder: WireDecoder) async {
        guard let event = try? decoder.decode(Event.self, from: payload) else {
            addDropped(1) // Another build's idea of the type: counted, not delivered.
            return
        }
        while true {
            // (wait for room, a reader to hand the event to)
            let (mustWait, reader) = state.withLock { state -> (Bool, UnsafeContinuation<Event?, Never>?) in
                if state.finished { return (false, nil) }
                if let reader = state.reader {
                    state.reader = nil
                    return (false, reader)
                }
                if state.count < bufferSize {
                    state.buffer.append(event)
                } else if overflow.blocks {
                    return (true, nil)
                } else if overflow.dropsOldest {
                    _ = state.pop()
                    state.buffer.append(event)
                    state.dropped += 1
                } else {
                    state.dropped += 1
                }
                return (false, nil)
            }
            if let reader {
                reader.resume(returning: event)
                return
            }
            if !mustWait { return }
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard !state.finished, state.reader == nil, state.count >= bufferSize else { return true }
                    state.writer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    package func addDropped(_ count: Int) {
        state.withLock { $0.dropped += count }
    }

    package func finish() {
        let (reader, writer) = state.withLock { state -> (UnsafeContinuation<Event?, Never>?, UnsafeContinuation<Void, Never>?) in
            state.finished = true
            defer {
                state.reader = nil
                state.writer = nil
            }
            return (state.reader, state.writer)
        }
        reader?.resume(returning: nil)
        writer?.resume()
    }

    fileprivate func next() async -> Event? {
        let (event, writer) = state.withLock { state -> (Event?, UnsafeContinuation<Void, Never>?) in
            let event = state.pop()
            let writer = event != nil ? state.writer : nil
            if writer != nil { state.writer = nil }
            return (event, writer)
        }
        writer?.resume()
        if let event { return event }
        return await withUnsafeContinuation { (continuation: UnsafeContinuation<Event?, Never>) in
            let now = state.withLock { state -> Event?? in
                if let event = state.pop() { return .some(event) }
                if state.finished { return .some(nil) }
                state.reader = continuation
                return .none
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Iterates the subscription's events; one iterator at a time.
    public func makeAsyncIterator() -> Iterator {
        Iterator(subscription: self)
    }

    /// Reads the subscription's events, waiting for the next one.
    public struct Iterator: AsyncIteratorProtocol {
        let subscription: EventSubscription

        /// The next event, or nil once the subscription has ended.
        public mutating func next() async -> Event? {
            await subscription.next()
        }

        /// The next event, or nil once the subscription has ended.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> Event? {
            await subscription.next()
        }
    }
}
