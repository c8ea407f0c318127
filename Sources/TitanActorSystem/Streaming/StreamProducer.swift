import Synchronization
import TitanCore
import TitanTelemetry
import Tracing
import TitanTransport
import TitanWire

/// How a stream ended.
enum StreamEnd: Sendable {
    case finished
    case failed(any Error)
}

/// Where a producer's batches go: frames on a connection, or a consumer in this process.
protocol StreamSink<Element>: Sendable {
    associatedtype Element: Codable & Sendable
    /// Delivers `batch`; a thrown error ends the stream with that error.
    func deliver(_ batch: [Element]) throws
    /// Tells the consumer the stream ended; called once, after the last batch.
    func finish(_ end: StreamEnd)
    /// The producer is done (finished or cancelled); drop any reference to it.
    func release()
}

/// The producer side of a stream, type-erased for the registry and the connection.
protocol StreamProducing: AnyObject, Sendable {
    /// The consumer grants `credits` more elements; the first grant starts the producer and
    /// sets its buffer bound.
    func grant(_ credits: Int)
    /// The consumer stopped listening, or its connection is gone.
    func cancel()
    /// Sends the stream's batches to `link` as stream `id`.
    func attachRemote(link: StreamLink, id: UInt64)
}

/// Runs a stream's body and sends what it yields, never more than the consumer's credit,
/// batching what is ready together.
///
/// Two tasks: the body, which appends to a buffer (suspending in `yield` while the buffer is
/// at its bound), and a sender, which takes everything the credit allows whenever it wakes.
/// A fast body therefore fills whole batches while the sender writes the previous one.
final class StreamProducer<Element: Codable & Sendable>: StreamProducing {
    private struct State {
        var buffer: [Element] = []
        var credit = 0
        /// How many yielded elements may wait here; the consumer's window.
        var bound = 1
        var started = false
        var end: StreamEnd?
        var stopped = false
        var sink: (any StreamSink<Element>)?
        var senderWaiter: UnsafeContinuation<Void, Never>?
        var spaceWaiter: UnsafeContinuation<Void, any Error>?
        var body: Task<Void, Never>?
        /// Elements the body yielded, for the stream's span.
        var yielded = 0

        var senderHasWork: Bool {
            stopped || (!buffer.isEmpty && credit > 0) || (buffer.isEmpty && end != nil)
        }
    }

    private enum Step {
        case wait
        case send([Element], wakeProducer: UnsafeContinuation<Void, any Error>?)
        case finish(StreamEnd)
        case stop
    }

    /// The most elements one batch carries.
    static var maxBatch: Int { 8192 }

    private let body: @Sendable (RemoteStream<Element>.Continuation) async throws -> Void
    private let state = Mutex(State())

    /// The context of the call that returned the stream, when its lifetime is traced: the
    /// body then runs in a producer span under that call's span.
    private let traceContext: ServiceContext?

    init(body: @escaping @Sendable (RemoteStream<Element>.Continuation) async throws -> Void, traceContext: ServiceContext? = nil) {
        self.body = body
        self.traceContext = traceContext
    }

    func attach(_ sink: some StreamSink<Element>) {
        state.withLock { $0.sink = sink }
    }

    func attachRemote(link: StreamLink, id: UInt64) {
        attach(RemoteSink<Element>(link: link, id: id))
    }

    var isCancelled: Bool { state.withLock { $0.stopped } }

    var buffered: Int { state.withLock { $0.buffer.count } }

    // MARK: Consumer side

    func grant(_ credits: Int) {
        guard credits > 0 else { return }
        let (start, wake) = state.withLock { state -> (Bool, UnsafeContinuation<Void, Never>?) in
            guard !state.stopped else { return (false, nil) }
            state.credit += credits
            var start = false
            if !state.started {
                state.started = true
                state.bound = credits
                start = true
            }
            if state.senderHasWork, let waiter = state.senderWaiter {
                state.senderWaiter = nil
                return (start, waiter)
            }
            return (start, nil)
        }
        wake?.resume()
        if start { launch() }
    }

    func cancel() {
        let taken = state.withLock { state -> (UnsafeContinuation<Void, Never>?, UnsafeContinuation<Void, any Error>?, Task<Void, Never>?, (any StreamSink<Element>)?)? in
            guard !state.stopped else { return nil }
            state.stopped = true
            state.buffer = []
            defer {
                state.senderWaiter = nil
                state.spaceWaiter = nil
                state.sink = nil
            }
            return (state.senderWaiter, state.spaceWaiter, state.body, state.sink)
        }
        guard let (sender, space, task, sink) = taken else { return }
        sender?.resume()
        space?.resume(throwing: CancellationError())
        task?.cancel()
        sink?.release()
    }

    private func launch() {
        let task = Task { [self] in
            let continuation = RemoteStream<Element>.Continuation(producer: self)
            let span = traceContext.map { InstrumentationSystem.tracer.startSpan("stream \(Element.self)", context: $0, ofKind: .producer) }
            do {
                try await body(continuation)
                ended(.finished)
            } catch {
                if let span, !(error is CancellationError) {
                    span.recordError(error)
                    span.setStatus(SpanStatus(code: .error, message: "\(error)"))
                }
                span?.attributes["titan.stream.cancelled"] = error is CancellationError
                ended(.failed(error))
            }
            if let span {
                span.attributes["titan.stream.elements"] = state.withLock { $0.yielded }
                span.end()
            }
        }
        let cancelled = state.withLock { state -> Bool in
            state.body = task
            return state.stopped
        }
        if cancelled { task.cancel() }
        Task { [self] in await runSender() }
    }

    private func ended(_ end: StreamEnd) {
        let wake = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            guard !state.stopped, state.end == nil else { return nil }
            state.end = end
            defer { state.senderWaiter = nil }
            return state.senderWaiter
        }
        wake?.resume()
    }

    // MARK: Body side

    func yield(_ element: Element) async throws {
        let (wake, full) = try state.withLock { state throws -> (UnsafeContinuation<Void, Never>?, Bool) in
            guard !state.stopped else { throw CancellationError() }
            state.buffer.append(element)
            state.yielded += 1
            var wake: UnsafeContinuation<Void, Never>?
            if state.credit > 0, let waiter = state.senderWaiter {
                state.senderWaiter = nil
                wake = waiter
            }
            return (wake, state.buffer.count >= state.bound)
        }
        wake?.resume()
        if full { try await waitForSpace() }
    }

    private func waitForSpace() async throws {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let ready = state.withLock { state -> Result<Void, any Error>? in
                    if state.stopped { return .failure(CancellationError()) }
                    if state.buffer.count < state.bound { return .success(()) }
                    state.spaceWaiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            cancel()
        }
    }

    // MARK: Sender

    private func runSender() async {
        while true {
            switch nextStep() {
            case .wait:
                await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                    let ready = state.withLock { state -> Bool in
                        if state.senderHasWork { return true }
                        state.senderWaiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            case .send(let batch, let wakeProducer):
                wakeProducer?.resume()
                guard let sink = state.withLock({ $0.sink }) else { return }
                do {
                    try sink.deliver(batch)
                } catch {
                    finishEarly(.failed(error), sink: sink)
                    return
                }
            case .finish(let end):
                let sink = state.withLock { state -> (any StreamSink<Element>)? in
                    defer { state.sink = nil }
                    return state.sink
                }
                guard let sink else { return }
                sink.finish(end)
                sink.release()
                return
            case .stop:
                return
            }
        }
    }

    private func nextStep() -> Step {
        state.withLock { state -> Step in
            if state.stopped { return .stop }
            if !state.buffer.isEmpty, state.credit > 0 {
                let count = min(state.credit, state.buffer.count, Self.maxBatch)
                let batch: [Element]
                if count == state.buffer.count {
                    batch = state.buffer
                    state.buffer = []
                    state.buffer.reserveCapacity(min(state.bound, Self.maxBatch))
                } else {
                    batch = Array(state.buffer[..<count])
                    state.buffer.removeFirst(count)
                }
                state.credit -= count
                var wake: UnsafeContinuation<Void, any Error>?
                if state.buffer.count < state.bound, let waiter = state.spaceWaiter {
                    state.spaceWaiter = nil
                    wake = waiter
                }
                return .send(batch, wakeProducer: wake)
            }
            if state.buffer.isEmpty, let end = state.end {
                state.stopped = true
                return .finish(end)
            }
            return .wait
        }
    }

    /// The sink refused a batch: end the stream with the reason and stop the body.
    private func finishEarly(_ end: StreamEnd, sink: any StreamSink<Element>) {
        let (space, task) = state.withLock { state -> (UnsafeContinuation<Void, any Error>?, Task<Void, Never>?) in
            state.stopped = true
            state.buffer = []
            state.sink = nil
            defer { state.spaceWaiter = nil }
            return (state.spaceWaiter, state.body)
        }
        space?.resume(throwing: CancellationError())
        task?.cancel()
        sink.finish(end)
        sink.release()
    }
}
