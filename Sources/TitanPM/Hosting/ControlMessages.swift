/// Requests in `control` frames: to the hosting runtime, not to the service's actor.
package enum ControlRequest: Sendable, Equatable {
    /// Ask the service's ``ProcessService/health()``.
    case health
    /// Stop taking calls, let running ones finish within `timeout`, run the shutdown hook, exit 0.
    case shutdown(timeout: Duration)

    private static let healthOp: UInt8 = 1
    private static let shutdownOp: UInt8 = 2

    package var payload: [UInt8] {
        var writer = ByteWriter()
        switch self {
        case .health:
            writer.writeByte(Self.healthOp)
        case .shutdown(let timeout):
            writer.writeByte(Self.shutdownOp)
            let (seconds, attoseconds) = timeout.components
            writer.writeInteger(Int64(seconds))
            writer.writeInteger(Int64(attoseconds / 1_000_000_000))
        }
        return writer.bytes
    }

    package init(payload: [UInt8]) throws(WireError) {
        var reader = ByteReader(payload)
        switch try reader.readByte() {
        case Self.healthOp:
            self = .health
        case Self.shutdownOp:
            let seconds = try reader.readInteger(Int64.self)
            let nanoseconds = try reader.readInteger(Int64.self)
            self = .shutdown(timeout: .seconds(seconds) + .nanoseconds(nanoseconds))
        case let op:
            throw .malformed("unknown control request \(op)")
        }
    }
}

/// The child's one message on the control socket: ready to take calls, or why not.
package enum ReadinessReport: Sendable, Equatable {
    case ready
    case failed(String)

    package var bytes: [UInt8] {
        var writer = ByteWriter()
        switch self {
        case .ready:
            writer.writeByte(0)
        case .failed(let why):
            writer.writeByte(1)
            writer.writeString(why)
        }
        return writer.bytes
    }

    package init(bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        switch try reader.readByte() {
        case 0: self = .ready
        case 1: self = .failed(try reader.readString())
        case let tag: throw .malformed("unknown readiness report \(tag)")
        }
    }
}
