import Instrumentation
import TitanCore

/// Writes a tracer's context into a call's metadata (W3C `traceparent` and `tracestate`
/// for tracers that speak W3C trace context, such as swift-otel's).
public struct CallMetadataInjector: Injector {
    /// An injector; it holds no state.
    public init() {}

    public func inject(_ value: String, forKey key: String, into carrier: inout CallMetadata) {
        carrier[key.lowercased()] = value
    }
}

/// Reads a tracer's context from a call's metadata.
public struct CallMetadataExtractor: Extractor {
    /// An extractor; it holds no state.
    public init() {}

    public func extract(key: String, from carrier: CallMetadata) -> String? {
        carrier[key.lowercased()]
    }
}
