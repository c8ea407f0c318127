import Synchronization
import TitanCore
import TitanTelemetry
import TitanTransport
import TitanWire

/// Where a consumer's credit and cancellation go: frames on a connection, or a producer in
/// this process.
protocol StreamUpstream: Sendable {
    func grant(_ credits: Int)
    func cancel()
}

/// The consumer side of a stream, type-erased for the connection that feeds it.
protocol StreamConsuming: AnyObject, Sendable {
    /// An elements or end frame for this stream arrived.
    func receive(_ frame: Frame)
    /// The stream cannot continue (its connection is gone, or a frame was refused).
    func fail(_ error: any Error)
}

/// Buffers the batches a producer sent and hands them to the iterator, granting the
/// producer more credit as they are taken.
final class StreamConsumer<Element: Codable & Sendable>: StreamConsuming {
    private enum Batch {
        case decoded([Element])
        case encoded([UInt8])
    }

    private struct State {
        var queue: [Batch] = []
        var head = 0
        var end: StreamEnd?
        var waiter: UnsafeContinuation<Void, Never>?
        var started = false
        var cancelled = false
        var window: Int
        var ungranted = 0
        var decoder: WireDecoder?
        /// Counts the elements received from another process, when the process records metrics.
        var telemetry: ProcessTelemetry?

        var hasNews: Bool { cancelled || head < queue.count || end != nil }

        mutating func takeWaiter() -> UnsafeContinuation<Void, Never>? {
            defer { waiter = nil }
            return waiter
        }
    }

    private enum Step {
        case batch(Batch, decoder: WireDecoder?, telemetry: ProcessTelemetry?)
        case end(StreamEnd)
        case cancelled
        case wait
    }

    private let upstream: any StreamUpstream
    private let state: Mutex<State>

    init(window: Int, upstream: some StreamUpstream) {
        self.upstream = upstream
        state = Mutex(State(window: max(1, window)))
    }

    func setWindow(_ window: Int) {
        state.withLock { state in
            if !state.started { state.window = max(1, window) }
        }
    }

    func setDecoder(_ decoder: WireDecoder, telemetry: ProcessTelemetry? = nil) {
        state.withLock {
            $0.decoder = decoder
            $0.telemetry = telemetry
        }
    }

    // MARK: Iterator side

    /// The next non-empty batch, nil at the end; throws the producer's error, or
    /// `CancellationError` if the consuming task is cancelled. `consumed` is the size of the
    /// previous batch, which the iterator has now used up: the producer gets that much credit
    /// back, so it never runs more than a window ahead of what was really consumed.
    func nextBatch(afterConsuming consumed: Int) async throws -> [Element]? {
        if consumed > 0 { creditBack(consumed) }
        while true {
            if Task.isCancelled {
                cancel()
                throw CancellationError()
            }
            let (step, initialCredit) = state.withLock { state -> (Step, Int?) in
                var initial: Int?
                if !state.started {
                    state.started = true
                    initial = state.window
                }
                if state.cancelled { return (.cancelled, initial) }
                if state.head < state.queue.count {
                    let batch = state.queue[state.head]
                    state.queue[state.head] = .decoded([])
                    state.head += 1
                    if state.head == state.queue.count {
                        state.queue.removeAll(keepingCapacity: true)
                        state.head = 0
                    }
                    return (.batch(batch, decoder: state.decoder, telemetry: state.telemetry), initial)
                }
                if let end = state.end {
                    // An error is thrown once; later calls see a finished stream.
                    state.end = .finished
                    return (.end(end), initial)
                }
                return (.wait, initial)
            }
            if let initialCredit { upstream.grant(initialCredit) }

            switch step {
            case .batch(let batch, let decoder, let telemetry):
                let elements: [Element]
                switch batch {
                case .decoded(let decoded):
                    elements = decoded
                case .encoded(let payload):
                    do {
                        elements = try (decoder ?? WireDecoder()).decode([Element].self, from: payload)
                    } catch {
                        cancel()
                        throw ProcessError.invalidReply("stream elements of type \(Element.self): \(error)")
                    }
                    telemetry?.streamReceived(elements: elements.count)
                }
                if !elements.isEmpty { return elements }
            case .end(.finished):
                return nil
            case .end(.failed(let error)):
                throw error
            case .cancelled:
                throw CancellationError()
            case .wait:
                await waitForNews()
            }
        }
    }

    private func creditBack(_ count: Int) {
        let grant = state.withLock { state -> Int? in
            state.ungranted += count
            guard state.ungranted * 2 >= state.window, state.end == nil, !state.cancelled else { return nil }
            defer { state.ungranted = 0 }
            return state.ungranted
        }
        if let grant { upstream.grant(grant) }
    }

    private func waitForNews() async {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.hasNews { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Stops listening: the producer is told to stop, and the iterator ends.
    func cancel() {
        let (waiter, tellProducer) = state.withLock { state -> (UnsafeContinuation<Void, Never>?, Bool) in
            guard !state.cancelled else { return (nil, false) }
            state.cancelled = true
            state.queue = []
            state.head = 0
            return (state.takeWaiter(), state.end == nil)
        }
        waiter?.resume()
        if tellProducer { upstream.cancel() }
    }

    // MARK: Producer side

    func push(_ elements: [Element]) {
        enqueue(.decoded(elements))
    }

    private func enqueue(_ batch: Batch) {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            guard !state.cancelled, state.end == nil else { return nil }
            state.queue.append(batch)
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    func end(_ end: StreamEnd) {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            guard !state.cancelled, state.end == nil else { return nil }
            state.end = end
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    func receive(_ frame: Frame) {
        switch frame.kind {
        case .streamElements:
            enqueue(.encoded(frame.payload))
        case .streamEnd:
            if frame.payload.isEmpty {
                end(.finished)
            } else {
                var reader = frame.reader
                let decoder = state.withLock { $0.decoder } ?? WireDecoder()
                end(.failed(RemoteFailure.read(from: &reader, decoder: decoder)))
            }
        default:
            break
        }
    }

    func fail(_ error: any Error) {
        end(.failed(error))
    }
}

/// A consumer and producer in the same process.
struct LocalSink<Element: Codable & Sendable>: StreamSink {
    let consumer: StreamConsumer<Element>

    func deliver(_ batch: [Element]) throws {
        consumer.push(batch)
    }

    func finish(_ end: StreamEnd) {
        consumer.end(end)
    }

    func release() {}
}

struct LocalUpstream<Element: Codable & Sendable>: StreamUpstream {
    let producer: StreamProducer<Element>

    func grant(_ credits: Int) {
        producer.grant(credits)
    }

    func cancel() {
        producer.cancel()
    }
}
