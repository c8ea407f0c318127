import TitanCore

/// Requests in `control` frames: to the hosting runtime, not to the service's actor.
package enum ControlRequest: Sendable, Equatable {
    /// Ask the service's ``ProcessService/health()``.
    case health
    /// Stop taking calls, let running ones finish within `timeout`, run the shutdown hook, exit 0.
    case shutdown(timeout: Duration)
    /// A snapshot of the process's metrics registry (the reply carries it, wire-encoded).
    case metrics
    /// Describe the hosted service's contract: its manifest, with the policies in force.
    case contract
    /// Report the state of the hosted service's method policies (cache hits and misses).
    case policyStatistics

    private static let healthOp: UInt8 = 1
    private static let shutdownOp: UInt8 = 2
    private static let metricsOp: UInt8 = 3
    private static let contractOp: UInt8 = 4
    private static let policyStatisticsOp: UInt8 = 5

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
        case .metrics:
            writer.writeByte(Self.metricsOp)
        case .contract:
            writer.writeByte(Self.contractOp)
        case .policyStatistics:
            writer.writeByte(Self.policyStatisticsOp)
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
        case Self.metricsOp:
            self = .metrics
        case Self.contractOp:
            self = .contract
        case Self.policyStatisticsOp:
            self = .policyStatistics
        case let op:
            throw .malformed("unknown control request \(op)")
        }
    }
}

/// The child's one message on the control socket: ready to take calls, or why not.
package enum ReadinessReport: Sendable, Equatable {
    /// Where a start failed.
    package enum Stage: UInt8, Sendable, Equatable {
        /// The executable hosts no service by the requested name.
        case serviceNotFound = 1
        /// The configuration did not decode, or the service's `configure` threw.
        case configuration = 2
        /// Anything else (listening, the runtime's own setup).
        case start = 3
    }

    case ready
    case failed(Stage, String)

    package var bytes: [UInt8] {
        var writer = ByteWriter()
        switch self {
        case .ready:
            writer.writeByte(0)
        case .failed(let stage, let why):
            writer.writeByte(stage.rawValue)
            writer.writeString(why)
        }
        return writer.bytes
    }

    package init(bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        let tag = try reader.readByte()
        if tag == 0 {
            self = .ready
        } else if let stage = Stage(rawValue: tag) {
            self = .failed(stage, try reader.readString())
        } else {
            throw .malformed("unknown readiness report \(tag)")
        }
    }
}
