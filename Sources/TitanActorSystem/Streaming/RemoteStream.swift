import TitanCore
import Tracing
import TitanWire
import TitanTransport

/// A sequence of values produced in one process and consumed in another, with credit-based
/// back-pressure.
///
/// Return one from a `distributed func` to stream results to the caller, or take one as an
/// argument to stream data into the callee:
///
/// ```swift
/// distributed actor Numbers: ProcessService {
///     distributed func count(upTo n: Int) -> RemoteStream<Int> {
///         RemoteStream { out in
///             for i in 0..<n { try await out.yield(i) }
///         }
///     }
///     distributed func doubled(_ input: RemoteStream<Int>) -> RemoteStream<Int> {
///         RemoteStream(input.map { $0 * 2 })
///     }
/// }
///
/// for try await n in try await numbers.count(upTo: 1000) { ... }
/// ```
///
/// The producer runs only once the consumer starts iterating, and never gets more than the
/// consumer's ``window(_:)`` ahead of it: a slow consumer bounds the producer's buffer, and
/// `yield` suspends while the buffer is full. Elements that are ready together travel
/// together in one frame.
///
/// Ending and errors: the producer's body returning ends the consumer's loop; a thrown error
/// ends it with that error, delivered like an ordinary call's (a `Codable` error as its own
/// type). If the producing process dies, the loop throws ``/TitanCore/ProcessError/processExited(_:_:)``.
/// Cancellation goes both ways: a consumer that stops iterating, or whose task is cancelled,
/// cancels the producer's task; a producer whose task is cancelled ends the stream.
///
/// A stream is single-pass: iterate it once. A received stream may itself be returned or
/// passed on; it is then relayed through this process.
public struct RemoteStream<Element: Codable & Sendable>: AsyncSequence, Sendable {
    /// Iteration throws the producer's error, ``/TitanCore/ProcessError`` when the
    /// producing process or the connection goes away, or `CancellationError`.
    public typealias Failure = any Error

    /// The elements a consumer lets a producer get ahead by default.
    public static var defaultWindow: Int { 1024 }

    enum Storage: Sendable {
        /// This process produces the elements: a cold source, run once per consumer.
        case source(@Sendable (Continuation) async throws -> Void)
        /// Another process produces the elements; this process receives them.
        case received(ConsumerHandle<Element>)
    }

    let storage: Storage

    /// A stream whose elements `body` yields; it ends when `body` returns, with the error
    /// `body` throws, or when the consumer cancels (then `yield` throws `CancellationError`).
    public init(_ body: @escaping @Sendable (Continuation) async throws -> Void) {
        storage = .source(body)
    }

    /// A stream of the elements of `sequence`.
    public init<Source: AsyncSequence & Sendable>(_ sequence: Source) where Source.Element == Element {
        storage = .source { continuation in
            for try await element in sequence {
                try await continuation.yield(element)
            }
        }
    }

    /// A stream of the elements of `elements`.
    public init<Source: Sequence & Sendable>(elements: Source) where Source.Element == Element {
        storage = .source { continuation in
            try await continuation.yield(contentsOf: elements)
        }
    }

    init(received handle: ConsumerHandle<Element>) {
        storage = .received(handle)
    }

    /// The same stream, letting the producer get at most `elements` ahead of this consumer
    /// (the credit window; at least 1). Set it before iterating.
    public func window(_ elements: Int) -> RemoteStream {
        if case .received(let handle) = storage { handle.core.setWindow(elements) }
        var copy = self
        copy.localWindow = Swift.max(1, elements)
        return copy
    }

    /// The window for a stream iterated in the process that produces it.
    var localWindow = RemoteStream.defaultWindow

    /// Starts consuming: the first call to the iterator's `next()` grants the producer its
    /// first window of credit, which starts the producer's body. Iterate a stream once.
    public func makeAsyncIterator() -> Iterator {
        switch storage {
        case .received(let handle):
            return Iterator(handle: handle)
        case .source(let body):
            // Iterated where it is produced (an in-process service, or a test): the same
            // producer and consumer, joined without a socket.
            let producer = StreamProducer<Element>(body: body)
            let consumer = StreamConsumer<Element>(window: localWindow, upstream: LocalUpstream(producer: producer))
            producer.attach(LocalSink(consumer: consumer))
            return Iterator(handle: ConsumerHandle(core: consumer))
        }
    }

    /// Hands elements to the consumer.
    public struct Continuation: Sendable {
        let producer: StreamProducer<Element>

        /// Sends `element`; suspends while the consumer is a full window behind. Throws
        /// `CancellationError` once the consumer has stopped listening.
        public func yield(_ element: Element) async throws {
            try await producer.yield(element)
        }

        /// Sends each of `elements` in turn, suspending as ``yield(_:)`` does; throws
        /// `CancellationError` once the consumer has stopped listening.
        public func yield(contentsOf elements: some Sequence<Element>) async throws {
            for element in elements {
                try await producer.yield(element)
            }
        }

        /// Whether the consumer has stopped listening; a producer that does not call
        /// `yield` for long stretches can poll this.
        public var isCancelled: Bool { producer.isCancelled }

        /// Elements yielded and not yet sent: never more than the consumer's window.
        public var buffered: Int { producer.buffered }
    }

    /// Iterates the stream's elements in order.
    public struct Iterator: AsyncIteratorProtocol {
        let handle: ConsumerHandle<Element>
        private var batch: [Element] = []
        private var index = 0

        init(handle: ConsumerHandle<Element>) {
            self.handle = handle
        }

        /// The next element, or nil once the producer's body has returned.
        ///
        /// Throws the producer's error (a `Codable` error as its own type, any other as
        /// ``/TitanCore/ProcessError/Code/remote``), ``/TitanCore/ProcessError/Code/processExited``
        /// if the producing process dies, and `CancellationError` if this task is cancelled
        /// (the producer is then cancelled too).
        public mutating func next() async throws -> Element? {
            try await next(isolation: nil)
        }

        /// Runs on the caller's actor: an element already received is handed over without
        /// leaving it, so a loop on the main actor does not hop executors per element.
        /// Returns and throws as ``next()``.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> Element? {
            if index < batch.count {
                defer { index += 1 }
                return batch[index]
            }
            let consumed = batch.count
            batch = []
            guard let next = try await handle.core.nextBatch(afterConsuming: consumed) else { return nil }
            batch = next
            index = 1
            return next[0]
        }
    }
}

extension RemoteStream: Codable {
    /// Registers the stream with this process's actor system and writes its id: the process
    /// that decodes the id pulls the elements over the connection the id arrived on.
    ///
    /// Throws `EncodingError` outside a distributed call (a stream cannot be stored).
    public func encode(to encoder: any Encoder) throws {
        guard let system = encoder.userInfo[.actorSystemKey] as? ProcessActorSystem else {
            throw EncodingError.invalidValue(self, .init(codingPath: encoder.codingPath, debugDescription: "a RemoteStream can only be sent as an argument or result of a distributed call"))
        }
        let body: @Sendable (Continuation) async throws -> Void
        switch storage {
        case .source(let source):
            body = source
        case .received(let handle):
            // Relay: this process consumes the stream and produces it again.
            let relayed = RemoteStream(received: handle)
            body = { continuation in
                for try await element in relayed {
                    try await continuation.yield(element)
                }
            }
        }
        let traced = system.telemetry?.tracing == true
        let id = system.streams.register(StreamProducer<Element>(body: body, traceContext: traced ? ServiceContext.current : nil))
        var container = encoder.singleValueContainer()
        try container.encode(id)
    }

    /// Reads a stream's id and connects to its producer over the connection the id arrived
    /// on: the elements flow once iteration starts.
    ///
    /// Throws `DecodingError` outside a distributed call (a stream cannot be decoded from
    /// stored bytes).
    public init(from decoder: any Decoder) throws {
        let id = try decoder.singleValueContainer().decode(UInt64.self)
        guard let link = (decoder as? any WireChannelDecoder)?.channel as? StreamLink else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a RemoteStream can only be received as an argument or result of a distributed call"))
        }
        let consumer = StreamConsumer<Element>(window: RemoteStream.defaultWindow, upstream: RemoteUpstream(link: link, id: id))
        consumer.setDecoder(link.system.makeDecoder(channel: link), telemetry: link.system.telemetry)
        link.addConsumer(consumer, id: id)
        self.init(received: ConsumerHandle(core: consumer))
    }
}

/// Owned by the stream values and iterators of one consumer; when the last of them is gone,
/// the consumer stops listening and the producer is cancelled.
final class ConsumerHandle<Element: Codable & Sendable>: Sendable {
    let core: StreamConsumer<Element>

    init(core: StreamConsumer<Element>) {
        self.core = core
    }

    deinit {
        core.cancel()
    }
}
