import TitanCore

/// Requests to the hosting runtime, not to the service's actor — health, stop, heartbeat,
/// cancellation, metrics, the service's contract and its policies' statistics. They travel only on a child's control channel (descriptor 4, see
/// ``ControlChannelMessage``), whose other end only the manager holds and which a thread no user
/// code runs on reads, so a busy service still answers; a `control` frame on a calls'
/// connection is refused. Op codes: health 1, shutdown 2, metrics 3, heartbeat 4, cancel 5,
/// contract 6, policy statistics 7; any other is a ``WireError/malformed(_:)`` error.
package enum ControlRequest: Sendable, Equatable {
    /// Ask the service's ``ProcessService/health()``.
    case health
    /// Stop taking calls, let running ones finish within `timeout`, run the shutdown hook, exit 0
    /// — at `timeout` at the latest, whatever the service is doing.
    case shutdown(timeout: Duration)
    /// A snapshot of the process's metrics registry (the reply carries it, wire-encoded).
    case metrics
    /// Answer once the service's actor has run a job: the service is not stuck.
    case heartbeat
    /// The caller of call `callID` on the manager's connection gave up: cancel its task.
    case cancel(callID: UInt64)
    /// Describe the hosted service's contract: its manifest, with the policies in force.
    case contract
    /// Report the state of the hosted service's method policies (cache hits and misses).
    case policyStatistics

    private static let healthOp: UInt8 = 1
    private static let shutdownOp: UInt8 = 2
    private static let metricsOp: UInt8 = 3
    private static let heartbeatOp: UInt8 = 4
    private static let cancelOp: UInt8 = 5
    private static let contractOp: UInt8 = 6
    private static let policyStatisticsOp: UInt8 = 7

    package var payload: [UInt8] {
        var writer = ByteWriter()
        switch self {
        case .health:
            writer.writeByte(Self.healthOp)
        case .shutdown(let timeout):
            writer.writeByte(Self.shutdownOp)
            Self.writeTimeout(timeout, to: &writer)
        case .metrics:
            writer.writeByte(Self.metricsOp)
        case .heartbeat:
            writer.writeByte(Self.heartbeatOp)
        case .cancel(let callID):
            writer.writeByte(Self.cancelOp)
            writer.writeInteger(callID)
        case .contract:
            writer.writeByte(Self.contractOp)
        case .policyStatistics:
            writer.writeByte(Self.policyStatisticsOp)
        }
        return writer.bytes
    }

    /// Writes `timeout` as ``readTimeout(_:)`` reads it.
    package static func writeTimeout(_ timeout: Duration, to writer: inout ByteWriter) {
        let (seconds, attoseconds) = timeout.components
        writer.writeInteger(Int64(seconds))
        writer.writeInteger(Int64(attoseconds / 1_000_000_000))
    }

    /// A non-negative duration as whole seconds and nanoseconds; anything else (which would
    /// not survive `Duration.components`) is malformed.
    package static func readTimeout(_ reader: inout ByteReader) throws(WireError) -> Duration {
        let seconds = try reader.readInteger(Int64.self)
        let nanoseconds = try reader.readInteger(Int64.self)
        guard seconds >= 0, (0..<1_000_000_000).contains(nanoseconds) else {
            throw .malformed("duration of \(seconds) s and \(nanoseconds) ns")
        }
        return .seconds(seconds) + .nanoseconds(nanoseconds)
    }

    package init(payload: [UInt8]) throws(WireError) {
        var reader = ByteReader(payload)
        switch try reader.readByte() {
        case Self.healthOp:
            self = .health
        case Self.shutdownOp:
            self = .shutdown(timeout: try Self.readTimeout(&reader))
        case Self.metricsOp:
            self = .metrics
        case Self.heartbeatOp:
            self = .heartbeat
        case Self.cancelOp:
            self = .cancel(callID: try reader.readInteger(UInt64.self))
        case Self.contractOp:
            self = .contract
        case Self.policyStatisticsOp:
            self = .policyStatistics
        case let op:
            throw .malformed("unknown control request \(op)")
        }
    }
}

/// One message on a child's control channel — a socketpair of its own, read in the child by a
/// thread that never runs user code — in either direction: a request with its id, or the
/// reply to the request with that id.
package enum ControlChannelMessage: Sendable, Equatable {
    /// The largest message either side reads: requests and replies are small (a health
    /// status at most); a larger one ends the channel.
    package static let maxSize = 1 << 16

    case request(id: UInt64, ControlRequest)
    /// Done, with the reply's payload (a ``HealthStatus`` for `health`, empty otherwise).
    case done(id: UInt64, [UInt8])
    case failed(id: UInt64, String)

    package var bytes: [UInt8] {
        var writer = ByteWriter()
        switch self {
        case .request(let id, let request):
            writer.writeByte(0)
            writer.writeInteger(id)
            writer.writeBytes(request.payload)
        case .done(let id, let payload):
            writer.writeByte(1)
            writer.writeInteger(id)
            writer.writeBytes(payload)
        case .failed(let id, let why):
            writer.writeByte(2)
            writer.writeInteger(id)
            writer.writeString(why)
        }
        return writer.bytes
    }

    package init(bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        let tag = try reader.readByte()
        let id = try reader.readInteger(UInt64.self)
        switch tag {
        case 0: self = .request(id: id, try ControlRequest(payload: Array(try reader.readBytes(count: reader.remaining))))
        case 1: self = .done(id: id, Array(try reader.readBytes(count: reader.remaining)))
        case 2: self = .failed(id: id, try reader.readString())
        default: throw .malformed("unknown control channel message \(tag)")
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

    /// Ready to take calls; `image` identifies the program file the child runs (its device,
    /// inode, size and modification time), which the parent checks against what it started.
    case ready(image: String)
    case failed(Stage, String)

    package var bytes: [UInt8] {
        var writer = ByteWriter()
        switch self {
        case .ready(let image):
            writer.writeByte(0)
            writer.writeString(image)
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
            self = .ready(image: try reader.readString())
        } else if let stage = Stage(rawValue: tag) {
            self = .failed(stage, try reader.readString())
        } else {
            throw .malformed("unknown readiness report \(tag)")
        }
    }
}
