/// Errors raised by the Titan runtime, on either side of a call.
///
/// Errors a service throws on purpose arrive as themselves when they are `Codable`, and as
/// ``remote(type:message:)`` otherwise; every other case here is the runtime's.
public enum ProcessError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The process ended while the call was in flight (or before it could be sent).
    /// Retrying after a restart may succeed; the callee's state is lost.
    case processExited(ProcessID, Termination)
    /// The callee threw an error that is not `Codable`; its type name and description.
    case remote(type: String, message: String)
    /// No reply within the call's timeout. The call may still have run in the callee.
    case timedOut(after: Duration)
    /// The callee has no distributed function with this identifier: the two sides were built
    /// from different versions of the service.
    case unknownTarget(String)
    /// No actor with this id is hosted where the call went (it was released, or never existed).
    case unknownActor(ProcessActorID)
    /// The callee could not decode the call's arguments.
    case invalidArguments(String)
    /// The caller could not decode the reply.
    case invalidReply(String)
    /// A value could not be encoded for the wire.
    case encodingFailed(String)
    /// A frame exceeded the connection's size limit and was not delivered.
    case messageTooLarge(size: Int, limit: Int)
    /// The peer sent bytes that are not Titan frames; the connection was closed.
    case protocolViolation(String)
    /// The connection to the process broke while the process kept running.
    case connectionLost(String)
    /// The child could not be started or did not become ready.
    case startFailed(String)
    /// The process is not running and will not run again (stopped, or restarts exhausted).
    case notRunning(ProcessID, ProcessStatus)
    /// The manager has no process with this id.
    case unknownProcess(ProcessID)
    /// The child's executable does not host a service with this name.
    case serviceNotFound(String)
    /// The process is shutting down and accepts no new calls.
    case shuttingDown
    /// The operation does not apply here (for example `kill` on an in-process service).
    case unsupported(String)
    /// The producer of this stream is gone: it was already consumed, or never claimed in time.
    case unknownStream(UInt64)

    public var description: String {
        switch self {
        case .processExited(let id, let status): "process \(id) exited (\(status))"
        case .remote(let type, let message): "remote error \(type): \(message)"
        case .timedOut(let after): "call timed out after \(after)"
        case .unknownTarget(let target): "the service has no distributed function \(target)"
        case .unknownActor(let id): "no actor \(id) is hosted there"
        case .invalidArguments(let why): "the callee could not decode the arguments: \(why)"
        case .invalidReply(let why): "could not decode the reply: \(why)"
        case .encodingFailed(let why): "could not encode a value: \(why)"
        case .messageTooLarge(let size, let limit): "message of \(size) bytes exceeds the limit of \(limit) bytes"
        case .protocolViolation(let why): "protocol violation: \(why)"
        case .connectionLost(let why): "connection lost: \(why)"
        case .startFailed(let why): "process failed to start: \(why)"
        case .notRunning(let id, let status): "process \(id) is not running (\(status))"
        case .unknownProcess(let id): "no process \(id)"
        case .serviceNotFound(let name): "the executable hosts no service named \(name)"
        case .shuttingDown: "the process is shutting down"
        case .unsupported(let why): "unsupported: \(why)"
        case .unknownStream(let id): "no stream \(id) to consume (already consumed, or expired)"
        }
    }
}
