import Distributed
import Synchronization
import TitanCore
import TitanTransport
import TitanWire

/// Records a distributed call's generic substitutions and arguments straight into the
/// outgoing frame.
///
/// The runtime makes one per call with ``ProcessActorSystem/makeInvocationEncoder()`` and
/// calls its `record` methods in order; you do not use it directly.
public struct ProcessInvocationEncoder: DistributedTargetInvocationEncoder {
    /// Arguments must be `Codable`.
    public typealias SerializationRequirement = any Codable

    package var frame: FrameBuilder
    private var generics: [String] = []
    private var argumentsStarted = false
    private let encoder: WireEncoder

    init(encoder: WireEncoder) {
        self.encoder = encoder
        frame = FrameBuilder(kind: .call, capacity: 256)
    }

    /// Records the concrete type of one of the call's generic parameters, by mangled name.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/encodingFailed`` if the type has no mangled name.
    public mutating func recordGenericSubstitution<T>(_ type: T.Type) throws {
        guard !argumentsStarted else {
            throw ProcessError.encodingFailed("generic substitution recorded after an argument")
        }
        guard let name = _mangledTypeName(T.self) else {
            throw ProcessError.encodingFailed("type \(T.self) has no mangled name to send")
        }
        generics.append(name)
    }

    private mutating func startArguments() {
        guard !argumentsStarted else { return }
        argumentsStarted = true
        frame.writer.writeVarint(generics.count)
        for name in generics { frame.writer.writeString(name) }
    }

    /// Encodes the next argument with the binary wire format.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/encodingFailed`` if the value cannot be encoded.
    public mutating func recordArgument<Value: Codable>(_ argument: RemoteCallArgument<Value>) throws {
        startArguments()
        do {
            try encoder.encode(argument.value, into: &frame.writer)
        } catch {
            throw ProcessError.encodingFailed("argument \(argument.effectiveLabel) of type \(Value.self): \(error)")
        }
    }

    /// Nothing to record: the caller knows the type it decodes the reply as.
    public mutating func recordReturnType<R: Codable>(_ type: R.Type) throws {}

    /// Nothing to record: errors travel with their type name.
    public mutating func recordErrorType<E: Error>(_ type: E.Type) throws {}

    /// Ends the recording; the frame is complete but for its trailer.
    public mutating func doneRecording() throws {
        startArguments()
    }

    /// Takes the recorded call (generic substitutions and arguments) out of the encoder.
    mutating func takeFrame() -> FrameBuilder {
        startArguments()
        // The encoder is done: leave it an empty builder that costs no allocation, so the
        // frame taken is the buffer's only owner and the trailer is written in place.
        var taken = Self.spent
        swap(&taken, &frame)
        return taken
    }

    private static let spent = FrameBuilder(kind: .call, capacity: 0)
}

/// Decodes a received call's generic substitutions and arguments for
/// `executeDistributedTarget`.
///
/// The serving side makes one per received call; you do not use it directly.
public struct ProcessInvocationDecoder: DistributedTargetInvocationDecoder {
    /// Arguments must be `Codable`.
    public typealias SerializationRequirement = any Codable

    private var arguments: ByteReader
    private let generics: [String]
    private let decoder: WireDecoder
    private var argumentIndex = 0

    init(envelope: CallEnvelope, decoder: WireDecoder) {
        arguments = envelope.arguments
        generics = envelope.generics
        self.decoder = decoder
    }

    /// The call's generic parameter types, looked up by mangled name in this executable.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/invalidArguments`` for a type this executable
    /// does not have.
    public mutating func decodeGenericSubstitutions() throws -> [Any.Type] {
        try generics.map { name in
            guard let type = TypeName.resolve(name) else {
                throw ProcessError.invalidArguments("generic argument type \(name) is unknown in this executable")
            }
            return type
        }
    }

    /// Decodes the next argument.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/invalidArguments`` if the bytes do not decode as
    /// `Argument`; the method then does not run.
    public mutating func decodeNextArgument<Argument: Codable>() throws -> Argument {
        defer { argumentIndex += 1 }
        do {
            return try decoder.decode(Argument.self, from: &arguments)
        } catch {
            throw ProcessError.invalidArguments("argument \(argumentIndex) as \(Argument.self): \(error)")
        }
    }

    /// Not sent: nil.
    public mutating func decodeErrorType() throws -> Any.Type? { nil }

    /// Not sent: nil.
    public mutating func decodeReturnType() throws -> Any.Type? { nil }
}

/// Keeps the outcome of an executed call for the serving side to send back.
///
/// Made by the serving side for each call; you do not use it directly.
public struct ProcessResultHandler: DistributedTargetInvocationResultHandler {
    /// Results must be `Codable`.
    public typealias SerializationRequirement = any Codable

    // Written once by the runtime inside `executeDistributedTarget`, read after it returns:
    // the await orders the write before the read, so no lock is needed.
    private final class Box: @unchecked Sendable {
        var outcome: Result<CallReply, any Error> = .failure(CancellationError())
    }

    private let box = Box()
    let encoder: WireEncoder

    init(encoder: WireEncoder) {
        self.encoder = encoder
    }

    var outcome: Result<CallReply, any Error> { box.outcome }

    private func record(_ outcome: Result<CallReply, any Error>) {
        box.outcome = outcome
    }

    /// Keeps the method's result, encoded; an encoding failure becomes the call's
    /// ``/TitanCore/ProcessError/Code/encodingFailed`` error.
    public func onReturn<Success: Codable>(value: Success) async throws {
        var frame = FrameBuilder(kind: .reply, capacity: 64)
        do {
            try encoder.encode(value, into: &frame.writer)
        } catch {
            record(.failure(ProcessError.encodingFailed("result of type \(Success.self): \(error)")))
            return
        }
        record(.success(CallReply(frame: frame)))
    }

    /// Keeps an empty reply for a method without a result.
    public func onReturnVoid() async throws {
        record(.success(CallReply(frame: FrameBuilder(kind: .reply, capacity: FrameHeader.size))))
    }

    /// Keeps the error the method threw, to be sent back to the caller.
    public func onThrow<Err: Error>(error: Err) async throws {
        record(.failure(error))
    }
}
