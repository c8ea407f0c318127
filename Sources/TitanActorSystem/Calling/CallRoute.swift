import TitanCore
import TitanTransport
import TitanWire

/// Where calls to the actors of one ``ProcessID`` go: a managed child process, or a pool
/// that picks a worker per call.
package protocol CallRoute: Sendable {
    /// The timeout for calls that do not set their own (see ``ProcessActorSystem/withCallTimeout(_:isolation:_:)``).
    var defaultCallTimeout: Duration? { get }

    /// Sends `call` and returns its reply; throws the callee's error, or ``/TitanCore/ProcessError``
    /// when the call cannot complete.
    func call(_ call: OutgoingCall) async throws -> CallReply

    /// The executor of the connection calls currently go over, if there is one connection.
    var affinityExecutor: (any TaskExecutor)? { get }
}

extension CallRoute {
    package var affinityExecutor: (any TaskExecutor)? { nil }
}

extension OutgoingCall {
    /// The complete call frame (but for its id) as sent `now`: the arguments, then the
    /// trailer with the target, the time left until the deadline, and the metadata.
    package func frame(at now: ClockInstant) -> FrameBuilder {
        var frame = arguments
        var metadata = metadata
        if let deadline {
            metadata.deadline = deadline > now ? now.duration(to: deadline) : .zero
        }
        CallEnvelope.writeTrailer(into: &frame, instance: recipient.instance, target: target.identifier, metadata: metadata)
        return frame
    }
}
