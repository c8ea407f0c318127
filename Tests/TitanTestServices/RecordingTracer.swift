import Glibc
import Synchronization
import Tracing
import W3CTraceContext

/// A span as a ``RecordingTracer`` kept it: enough to check a trace's shape across processes.
public struct RecordedSpan: Codable, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var traceID: String
    public var spanID: String
    public var parentSpanID: String?
    public var kind: String
    public var isError: Bool
    public var attributes: [String: String]
    public var events: [String]
    /// The process that recorded it.
    public var pid: Int32

    public var description: String {
        "\(name) [\(kind)] trace=\(traceID) span=\(spanID) parent=\(parentSpanID ?? "-") pid=\(pid)\(isError ? " ERROR" : "")"
    }
}

/// A tracer for tests that speaks W3C trace context (`traceparent`/`tracestate`) and keeps
/// every finished span in memory.
public final class RecordingTracer: Tracer, Sendable {
    public typealias Span = RecordingSpan

    private let finished = Mutex<[RecordedSpan]>([])

    public init() {}

    /// The spans ended so far.
    public var finishedSpans: [RecordedSpan] { finished.withLock { $0 } }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> RecordingSpan {
        var context = context()
        let parent = context[SpanContextKey.self]
        let own = TraceContext(
            traceID: parent?.traceID ?? TraceID.random(), spanID: SpanID.random(),
            flags: .sampled, state: parent?.state ?? TraceState()
        )
        context[SpanContextKey.self] = own
        return RecordingSpan(name: operationName, kind: kind, context: context, parent: parent?.spanID.description, tracer: self)
    }

    public func activeSpan(identifiedBy context: ServiceContext) -> RecordingSpan? { nil }

    public func forceFlush() {}

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        guard let own = context[SpanContextKey.self] else { return }
        injector.inject(own.traceParentHeaderValue, forKey: "traceparent", into: &carrier)
        if let state = own.traceStateHeaderValue { injector.inject(state, forKey: "tracestate", into: &carrier) }
    }

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        guard let parent = extractor.extract(key: "traceparent", from: carrier),
              let remote = try? TraceContext(traceParentHeaderValue: parent, traceStateHeaderValue: extractor.extract(key: "tracestate", from: carrier))
        else { return }
        context[SpanContextKey.self] = remote
    }

    func record(_ span: RecordedSpan) {
        finished.withLock { $0.append(span) }
    }
}

private enum SpanContextKey: ServiceContextKey {
    typealias Value = TraceContext
}

/// A span of a ``RecordingTracer``.
public final class RecordingSpan: Tracing.Span, Sendable {
    private struct State {
        var name: String
        var attributes = SpanAttributes()
        var events: [String] = []
        var isError = false
        var ended = false
    }

    public let context: ServiceContext
    private let kind: SpanKind
    private let parent: String?
    private let tracer: RecordingTracer
    private let state: Mutex<State>

    init(name: String, kind: SpanKind, context: ServiceContext, parent: String?, tracer: RecordingTracer) {
        self.kind = kind
        self.context = context
        self.parent = parent
        self.tracer = tracer
        state = Mutex(State(name: name))
    }

    public var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { $0.name = newValue } }
    }

    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    public var isRecording: Bool { !state.withLock { $0.ended } }

    public func setStatus(_ status: SpanStatus) {
        if status.code == .error { state.withLock { $0.isError = true } }
    }

    public func addEvent(_ event: SpanEvent) {
        state.withLock { $0.events.append(event.name) }
    }

    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        state.withLock { $0.events.append("exception") }
    }

    public func addLink(_ link: SpanLink) {}

    private static func text(_ attribute: SpanAttribute) -> String {
        switch attribute {
        case .string(let value): value
        case .int64(let value): String(value)
        case .int32(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): String(value)
        default: "\(attribute)"
        }
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let recorded = state.withLock { state -> RecordedSpan? in
            guard !state.ended else { return nil }
            state.ended = true
            var attributes: [String: String] = [:]
            state.attributes.forEach { key, value in attributes[key] = Self.text(value) }
            let own = context[SpanContextKey.self]
            return RecordedSpan(
                name: state.name, traceID: own?.traceID.description ?? "", spanID: own?.spanID.description ?? "",
                parentSpanID: parent, kind: "\(kind)", isError: state.isError, attributes: attributes, events: state.events, pid: getpid()
            )
        }
        if let recorded { tracer.record(recorded) }
    }
}
