import Tracing
import TitanCore

/// The span of the call this task is making, so the runtime below the interceptors (a
/// pool's routing, a wait for a restart, a retry) can mark it with attributes and events.
package enum CallTrace {
    @TaskLocal package static var span: (any Span)?

    /// The server span of the call this task serves, when the tracing interceptor started
    /// one, so the serving runtime (a method's `@Trace`) names and marks it rather than
    /// starting a second span for the same call.
    @TaskLocal package static var serving: (any Span)?

    /// Sets `key` to `value` on the current call's span, if it is traced.
    package static func attribute(_ key: String, _ value: String) {
        span?.attributes[key] = value
    }

    /// Sets `key` to `value` on the current call's span, if it is traced.
    package static func attribute(_ key: String, _ value: Int) {
        span?.attributes[key] = value
    }

    /// Adds an event named `name` to the current call's span, if it is traced.
    package static func event(_ name: String, _ attributes: [String: String] = [:]) {
        guard let span else { return }
        var spanAttributes = SpanAttributes()
        for (key, value) in attributes { spanAttributes[key] = value }
        span.addEvent(SpanEvent(name: name, attributes: spanAttributes))
    }
}
