import Synchronization
import TitanCore
import TitanTransport
import TitanWire

/// The streams flowing over one connection, in both directions.
///
/// Stream ids are chosen by the producing process (see ``StreamRegistry``), so the consumers
/// here are keyed by the peer's ids and the producers by this process's. A producer is bound
/// to the connection on which its first credit arrives; that is how a stream id written into
/// a reply or an argument finds its way back to the process that made it.
package final class StreamLink: WireChannel {
    private struct State {
        var consumers: [UInt64: any StreamConsuming] = [:]
        var producers: [UInt64: any StreamProducing] = [:]
        var closed: (any Error)?
    }

    let system: ProcessActorSystem
    let connection: any FrameConnection
    private let state = Mutex(State())

    package init(system: ProcessActorSystem, connection: any FrameConnection) {
        self.system = system
        self.connection = connection
    }

    func send(_ bytes: [UInt8]) throws {
        do {
            try connection.send(bytes)
        } catch {
            throw state.withLock { $0.closed } ?? ProcessError.connectionLost("stream connection closed")
        }
    }

    func addConsumer(_ consumer: any StreamConsuming, id: UInt64) {
        let closed = state.withLock { state -> (any Error)? in
            if let closed = state.closed { return closed }
            state.consumers[id] = consumer
            return nil
        }
        if let closed { consumer.fail(closed) }
    }

    func removeConsumer(_ id: UInt64) {
        state.withLock { _ = $0.consumers.removeValue(forKey: id) }
    }

    func removeProducer(_ id: UInt64) {
        state.withLock { _ = $0.producers.removeValue(forKey: id) }
    }

    /// Streams currently open on this connection (both directions).
    package var openStreams: Int {
        state.withLock { $0.consumers.count + $0.producers.count }
    }

    /// A stream frame arrived on the connection's reader thread.
    package func handle(_ inbound: FrameInbound) {
        switch inbound {
        case .frame(let frame):
            switch frame.kind {
            case .streamElements:
                system.telemetry?.streamReceived(bytes: frame.payload.count)
                state.withLock { $0.consumers[frame.id] }?.receive(frame)
            case .streamEnd:
                state.withLock { $0.consumers.removeValue(forKey: frame.id) }?.receive(frame)
            case .streamCredit:
                var reader = frame.reader
                guard let credits = try? reader.readVarint(), credits > 0, credits <= UInt64(Int32.max) else {
                    connection.close(reason: .protocolViolation("malformed stream credit"))
                    return
                }
                credit(Int(credits), for: frame.id)
            case .streamCancel:
                if let producer = state.withLock({ $0.producers.removeValue(forKey: frame.id) }) {
                    producer.cancel()
                } else {
                    system.streams.discard(frame.id)
                }
            default:
                break
            }
        case .oversized(let header):
            guard header.kind == .streamElements || header.kind == .streamEnd else {
                connection.close(reason: .protocolViolation("oversized \(header.kind) frame"))
                return
            }
            let consumer = state.withLock { $0.consumers.removeValue(forKey: header.id) }
            consumer?.fail(ProcessError.messageTooLarge(size: Int(header.length), limit: connection.maxFrameSize))
            try? send(FrameBuilder.frame(.streamCancel, id: header.id, payload: EmptyCollection()))
        }
    }

    private func credit(_ credits: Int, for id: UInt64) {
        if let producer = state.withLock({ $0.producers[id] }) {
            producer.grant(credits)
            return
        }
        guard let producer = system.streams.claim(id) else {
            var frame = FrameBuilder(kind: .streamEnd)
            RemoteFailure.write(ProcessError.unknownStream(id), into: &frame.writer, encoder: system.makeEncoder())
            try? send(frame.finish(id: id))
            return
        }
        producer.attachRemote(link: self, id: id)
        let closed = state.withLock { state -> Bool in
            guard state.closed == nil else { return true }
            state.producers[id] = producer
            return false
        }
        if closed {
            producer.cancel()
        } else {
            producer.grant(credits)
        }
    }

    /// The connection is gone: consumers end with `error`, producers are cancelled.
    package func close(_ error: any Error) {
        let (consumers, producers) = state.withLock { state -> ([any StreamConsuming], [any StreamProducing]) in
            guard state.closed == nil else { return ([], []) }
            state.closed = error
            defer {
                state.consumers.removeAll()
                state.producers.removeAll()
            }
            return (Array(state.consumers.values), Array(state.producers.values))
        }
        for consumer in consumers { consumer.fail(error) }
        for producer in producers { producer.cancel() }
    }
}

/// A producer in this process feeding a consumer across `link`.
struct RemoteSink<Element: Codable & Sendable>: StreamSink {
    let link: StreamLink
    let id: UInt64

    func deliver(_ batch: [Element]) throws {
        var frame = FrameBuilder(kind: .streamElements, capacity: 64 + batch.count * 9)
        do {
            try link.system.makeEncoder().encode(batch, into: &frame.writer)
        } catch {
            throw ProcessError.encodingFailed("stream element of type \(Element.self): \(error)")
        }
        let limit = link.connection.maxFrameSize
        if frame.payloadCount > limit {
            guard batch.count > 1 else { throw ProcessError.messageTooLarge(size: frame.payloadCount, limit: limit) }
            let middle = batch.count / 2
            try deliver(Array(batch[..<middle]))
            try deliver(Array(batch[middle...]))
            return
        }
        link.system.telemetry?.streamSent(elements: batch.count, bytes: frame.payloadCount)
        try link.send(frame.finish(id: id))
    }

    func finish(_ end: StreamEnd) {
        var frame = FrameBuilder(kind: .streamEnd)
        if case .failed(let error) = end {
            RemoteFailure.write(error, into: &frame.writer, encoder: link.system.makeEncoder())
        }
        try? link.send(frame.finish(id: id))
    }

    func release() {
        link.removeProducer(id)
    }
}

/// A consumer in this process pulling from a producer across `link`.
struct RemoteUpstream: StreamUpstream {
    let link: StreamLink
    let id: UInt64

    func grant(_ credits: Int) {
        var frame = FrameBuilder(kind: .streamCredit, capacity: FrameHeader.size + 10)
        frame.writer.writeVarint(credits)
        try? link.send(frame.finish(id: id))
    }

    func cancel() {
        link.removeConsumer(id)
        try? link.send(FrameBuilder.frame(.streamCancel, id: id, payload: EmptyCollection()))
    }
}

/// The streams this process produces that no consumer has claimed yet.
///
/// A stream is registered when it is encoded into a reply or an argument, and claimed by the
/// first credit for its id. One never claimed (the reply was lost, the caller gave up) is
/// dropped after ``claimTimeout``.
package final class StreamRegistry: Sendable {
    private struct State {
        var nextID: UInt64 = 1
        var pending: [UInt64: (producer: any StreamProducing, timer: TimerToken)] = [:]
    }

    /// How long an unclaimed stream is kept.
    package static let claimTimeout: Duration = .seconds(120)

    private let state = Mutex(State())
    private let clock: any RuntimeClock

    init(clock: any RuntimeClock) {
        self.clock = clock
    }

    func register(_ producer: any StreamProducing) -> UInt64 {
        let id = state.withLock { state -> UInt64 in
            defer { state.nextID += 1 }
            return state.nextID
        }
        let timer = clock.schedule(at: clock.deadline(after: Self.claimTimeout)) { [weak self] in
            self?.discard(id)
        }
        state.withLock { $0.pending[id] = (producer, timer) }
        return id
    }

    func claim(_ id: UInt64) -> (any StreamProducing)? {
        guard let entry = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return nil }
        clock.cancel(entry.timer)
        return entry.producer
    }

    func discard(_ id: UInt64) {
        claim(id)?.cancel()
    }

    /// Streams registered and not yet claimed.
    package var unclaimed: Int { state.withLock { $0.pending.count } }
}
