import Synchronization
import Tracing
import TitanCore

/// Starts a span for every call through the tracer the program bootstrapped
/// (`InstrumentationSystem.bootstrap`) or bound with `withTracer`, and carries the trace
/// across processes in the call's metadata.
///
/// Calling, it starts a client span under the caller's `ServiceContext` and lets the tracer
/// inject that span's context into the call's metadata (W3C `traceparent`/`tracestate` with
/// a W3C tracer). Serving, it extracts the caller's context and runs the method inside a
/// server span whose parent is the caller's span, so a call the method makes continues the
/// same trace: parent → A → B is one trace. A call that throws marks its span as an error.
/// The runtime adds what happened on the way as attributes and events (the pool worker
/// chosen, waits for a restart, retries).
///
/// With no tracer (`NoOpTracer`) it passes calls through untouched.
public struct TracingInterceptor: CallInterceptor, InlineCallInterceptor {
    private let names = SpanNames()

    /// A tracing interceptor.
    public init() {}

    public func interceptOutgoing(_ call: OutgoingCall, next: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        guard let tracer = Self.activeTracer else { return try await next(call) }
        let span = tracer.startSpan(names.name(of: call.target), context: ServiceContext.current ?? .topLevel, ofKind: .client)
        defer { span.end() }
        Self.describe(span, call.target)
        span.attributes["titan.process"] = call.recipient.process.rawValue
        var call = call
        tracer.inject(span.context, into: &call.metadata, using: CallMetadataInjector())
        do {
            return try await CallTrace.$span.withValue(span) {
                try await ServiceContext.withValue(span.context) { try await next(call) }
            }
        } catch {
            Self.fail(span, error)
            throw error
        }
    }

    public func interceptIncoming(_ call: IncomingCall, next: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        guard let tracer = Self.activeTracer else { return try await next(call) }
        var context = ServiceContext.topLevel
        tracer.extract(call.metadata, into: &context, using: CallMetadataExtractor())
        let span = tracer.startSpan(names.name(of: call.target), context: context, ofKind: .server)
        defer { span.end() }
        Self.describe(span, call.target)
        do {
            return try await CallTrace.$serving.withValue(span) {
                try await ServiceContext.withValue(span.context) { try await next(call) }
            }
        } catch {
            Self.fail(span, error)
            throw error
        }
    }

    // Without a tracer in effect there is nothing to do, and the chain need not run this
    // interceptor around the call at all. The tracer is looked up for every call (the task's
    // `withTracer` scope, then the bootstrapped one), so a scope or a late bootstrap counts
    // from the next call on.

    package func beginOutgoing(_ call: OutgoingCall) -> InlineStep {
        Self.tracing ? .wrap : .pass
    }

    package func beginIncoming(_ call: IncomingCall) -> InlineStep {
        Self.tracing ? .wrap : .pass
    }

    package func end(_ observation: InlineObservation, error: (any Error)?) {}

    /// Whether an instrument is in effect: most programs run without one, and that case is
    /// told apart by comparing a type, without the casts `InstrumentationSystem.tracer` makes.
    private static var tracing: Bool {
        ObjectIdentifier(type(of: InstrumentationSystem.instrument)) != ObjectIdentifier(NoOpInstrument.self)
    }

    /// The tracer in effect, nil when there is none.
    private static var activeTracer: (any Tracer)? {
        guard tracing else { return nil }
        let tracer = InstrumentationSystem.tracer
        return tracer is NoOpTracer ? nil : tracer
    }

    private static func describe(_ span: any Span, _ target: CallTarget) {
        span.attributes["rpc.system"] = "titan"
        span.attributes["rpc.service"] = target.typeName
        span.attributes["rpc.method"] = target.methodName
    }

    private static func fail(_ span: any Span, _ error: any Error) {
        span.recordError(error)
        span.attributes["titan.error.kind"] = CallMetricsInterceptor.kind(of: error)
        span.setStatus(SpanStatus(code: .error, message: "\(error)"))
    }
}

/// Span names (`Type/method(_:)`), built once per target.
private final class SpanNames: Sendable {
    private let names = Mutex<[String: String]>([:])

    func name(of target: CallTarget) -> String {
        if let known = names.withLock({ $0[target.identifier] }) { return known }
        let name = "\(target.typeName)/\(target.methodName)"
        names.withLock { names in
            if names.count > 4096 { names.removeAll() }
            names[target.identifier] = name
        }
        return name
    }
}
