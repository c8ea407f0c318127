import TitanCore
import TitanPolicies
import TitanTransport
import TitanWire

/// Sees every call that passes through a ``ProcessActorSystem``: on the calling side before it
/// is sent and when its outcome is known, and on the serving side before and after the
/// method runs. Method policies, metrics, tracing, pools and discovery stand on this seam.
///
/// ```swift
/// struct Stopwatch: CallInterceptor {
///     func interceptOutgoing(_ call: OutgoingCall, next: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
///         let start = ContinuousClock.now
///         defer { print(call.target.name, ContinuousClock.now - start) }
///         return try await next(call)                   // the outcome: a reply, or the error thrown
///     }
/// }
/// ```
///
/// Both methods default to passing the call on unchanged; implement the side you need.
/// An interceptor may change the call (add metadata, shorten the deadline), answer without
/// calling `next` (fail fast, serve from a cache), or call `next` again (retry). Interceptors
/// run in the order they were installed, the first outermost. The calling side's are
/// installed with ``ProcessActorSystem/addInterceptor(_:)`` in the calling process; a
/// service's serving-side interceptors come from its type's `static var interceptors`
/// (see `ProcessService`), installed in the hosting process before it takes calls.
///
/// An interceptor added to a system sees both directions: in a parent, the calls it makes;
/// in a child, the calls it serves and the calls its service makes in turn.
public protocol CallInterceptor: Sendable {
    /// Called in the calling process for each call, before it is sent.
    ///
    /// Throwing fails the call with that error; the errors `next` throws are the call's own
    /// failures (the callee's error, ``/TitanCore/ProcessError``, a pool's error).
    func interceptOutgoing(
        _ call: OutgoingCall,
        next: (OutgoingCall) async throws -> CallReply
    ) async throws -> CallReply

    /// Called in the serving process for each call, before the method runs.
    ///
    /// `next` runs the method (after the interceptors that follow); its result is the
    /// encoded return value, and the error it throws is the method's.
    func interceptIncoming(
        _ call: IncomingCall,
        next: (IncomingCall) async throws -> CallReply
    ) async throws -> CallReply
}

extension CallInterceptor {
    /// Passes the call on unchanged.
    public func interceptOutgoing(
        _ call: OutgoingCall,
        next: (OutgoingCall) async throws -> CallReply
    ) async throws -> CallReply {
        try await next(call)
    }

    /// Passes the call on unchanged.
    public func interceptIncoming(
        _ call: IncomingCall,
        next: (IncomingCall) async throws -> CallReply
    ) async throws -> CallReply {
        try await next(call)
    }
}

/// The distributed function a call invokes.
public struct CallTarget: Sendable, Hashable, CustomStringConvertible {
    /// The identifier on the wire (the function's mangled name).
    public let identifier: String

    /// Names the function whose mangled name is `identifier`.
    public init(identifier: String) {
        self.identifier = identifier
    }

    /// A readable name, as `Module.Type.method(label:)`, demangled from the identifier.
    public var name: String { TargetNames.shared.name(of: identifier) }

    /// The method's name with its labels, without module and type: `add(_:_:)`.
    public var methodName: String {
        let full = name
        guard let paren = full.firstIndex(of: "(") else { return full }
        let head = full[..<paren]
        let start = head.lastIndex(of: ".").map { full.index(after: $0) } ?? full.startIndex
        return String(full[start...])
    }

    /// The name of the type that declares the method, without its module: `Calculator`.
    public var typeName: String {
        let full = name
        let head = full[..<(full.firstIndex(of: "(") ?? full.endIndex)]
        let parts = head.split(separator: ".")
        return parts.count >= 2 ? String(parts[parts.count - 2]) : String(head)
    }

    /// The readable ``name``.
    public var description: String { name }
}

/// A call on its way out, as the calling side's interceptors see it.
public struct OutgoingCall: Sendable {
    /// The function called.
    public let target: CallTarget
    /// The actor called (for a pool, the pool's id: the pool picks the worker after the chain).
    public let recipient: ProcessActorID
    /// Travels with the call; what an interceptor adds here the serving side can read.
    public var metadata: CallMetadata
    /// When the caller stops waiting, on the system's clock; nil waits as long as the callee
    /// lives. The time left when the call is sent travels as ``/TitanCore/CallMetadata/deadline``.
    public var deadline: ClockInstant?
    /// The timeout the deadline came from, for the error a call that runs out throws.
    public var timeout: Duration?
    /// The encoded generic substitutions and arguments; the trailer is written at sending.
    package var arguments: FrameBuilder

    package init(target: CallTarget, recipient: ProcessActorID, metadata: CallMetadata, deadline: ClockInstant?, timeout: Duration?, arguments: FrameBuilder) {
        self.target = target
        self.recipient = recipient
        self.metadata = metadata
        self.deadline = deadline
        self.timeout = timeout
        self.arguments = arguments
    }
}

/// A call arriving, as the serving side's interceptors see it.
public struct IncomingCall: Sendable {
    /// The fields, in one immutable object: the call is copied into the task-local
    /// ``ProcessActorSystem/currentCall`` and into every interceptor's closure, and a copy of
    /// a reference is one retain where a copy of the fields (strings, metadata, the envelope,
    /// an existential) is a dozen, made through the generic value witnesses of `Optional`.
    private final class Fields: Sendable {
        let target: CallTarget
        let recipient: ProcessActorID
        let metadata: CallMetadata
        let deadline: ClockInstant?
        let methodIndex: Int?
        let contract: (any ContractDispatch)?
        let envelope: CallEnvelope?
        let origin: (server: CallServer, id: UInt64)?

        init(
            target: CallTarget, recipient: ProcessActorID, metadata: CallMetadata, deadline: ClockInstant?,
            methodIndex: Int?, contract: (any ContractDispatch)?, envelope: CallEnvelope?, origin: (server: CallServer, id: UInt64)?
        ) {
            self.target = target
            self.recipient = recipient
            self.metadata = metadata
            self.deadline = deadline
            self.methodIndex = methodIndex
            self.contract = contract
            self.envelope = envelope
            self.origin = origin
        }
    }

    private let fields: Fields

    /// The function called.
    public var target: CallTarget { fields.target }
    /// The actor called.
    public var recipient: ProcessActorID { fields.recipient }
    /// What the caller's side sent with the call.
    public var metadata: CallMetadata { fields.metadata }
    /// When the caller stops waiting, on this process's clock (from ``/TitanCore/CallMetadata/deadline``
    /// and the arrival time); nil if the caller waits without bound.
    public var deadline: ClockInstant? { fields.deadline }
    /// The method's position in its service's manifest, when the actor is a
    /// `@ServiceContract` type whose dispatch table has the target; nil otherwise.
    public var methodIndex: Int? { fields.methodIndex }
    /// The contracted actor's dispatch table, when it has one.
    package var contract: (any ContractDispatch)? { fields.contract }
    /// The call as received, for reading its arguments again (policy keys).
    package var envelope: CallEnvelope? { fields.envelope }
    /// The connection the call arrived on and its id there, to cancel the method's task.
    package var origin: (server: CallServer, id: UInt64)? { fields.origin }

    package init(
        target: CallTarget,
        recipient: ProcessActorID,
        metadata: CallMetadata,
        deadline: ClockInstant?,
        methodIndex: Int? = nil,
        contract: (any ContractDispatch)? = nil,
        envelope: CallEnvelope? = nil,
        origin: (server: CallServer, id: UInt64)? = nil
    ) {
        fields = Fields(
            target: target, recipient: recipient, metadata: metadata, deadline: deadline,
            methodIndex: methodIndex, contract: contract, envelope: envelope, origin: origin
        )
    }

    /// The method's descriptor in its service's manifest (signature and policies), for a
    /// `@ServiceContract` actor; nil otherwise.
    public var method: MethodDescriptor? {
        methodIndex.flatMap { contract?.manifest.method(at: $0) }
    }

    /// Cancels the task running this call (as a `cancel` frame from the caller would): the
    /// method sees `Task.isCancelled`, its sleeps throw.
    package func cancelTask() {
        origin.map { $0.server.cancelRunning($0.id) }
    }
}

/// The outcome of a call that did not throw: its return value, encoded.
///
/// Interceptors pass it on without looking inside; one that caches results keeps it and
/// answers later calls with it (a reply carrying a stream cannot be reused: streams are
/// consumed once).
public struct CallReply: Sendable {
    /// A reply built in this process, with room for the frame header in front (no copy
    /// when it is sent); nil for a reply received from the callee.
    private var built: FrameBuilder?
    /// A reply received from the callee.
    private var received: [UInt8]
    /// The connection a received reply came over, for values that are streams.
    package let channel: (any WireChannel)?

    package init(payload: [UInt8], channel: (any WireChannel)?) {
        built = nil
        received = payload
        self.channel = channel
    }

    package init(frame: FrameBuilder) {
        built = frame
        received = []
        channel = nil
    }

    /// The size of the encoded value in bytes.
    public var byteCount: Int { built?.payloadCount ?? received.count }

    /// The encoded value.
    package var payload: [UInt8] {
        guard let built else { return received }
        return Array(built.writer.bytes[FrameHeader.size...])
    }

    /// The reply as a frame to send, built without a copy when it was built here.
    package var frame: FrameBuilder {
        if let built { return built }
        var frame = FrameBuilder(kind: .reply, capacity: FrameHeader.size + received.count)
        frame.writer.writeBytes(received)
        return frame
    }
}
