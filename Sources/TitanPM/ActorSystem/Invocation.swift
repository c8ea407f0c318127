import Distributed

// The payload of a `call` frame:
//
//     generic substitutions   varint count, then that many mangled type names
//     arguments               one wire value each, in order
//     trailer                 actor instance (varint), target identifier (string),
//                             metadata (varint count, then key/value strings)
//     trailer offset          UInt32, where the trailer starts within the payload
//
// The target is only known once the compiler-generated thunk has recorded every argument,
// so it goes after them; the fixed-size offset at the end lets the callee find it without
// the caller copying the arguments a second time.

/// Records a distributed call's generic substitutions and arguments straight into the
/// outgoing frame.
public struct ProcessInvocationEncoder: DistributedTargetInvocationEncoder {
    public typealias SerializationRequirement = any Codable

    package var frame: FrameBuilder
    private var generics: [String] = []
    private var argumentsStarted = false
    private let encoder: WireEncoder

    init(encoder: WireEncoder) {
        self.encoder = encoder
        frame = FrameBuilder(kind: .call, capacity: 256)
    }

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

    public mutating func recordArgument<Value: Codable>(_ argument: RemoteCallArgument<Value>) throws {
        startArguments()
        do {
            try encoder.encode(argument.value, into: &frame.writer)
        } catch {
            throw ProcessError.encodingFailed("argument \(argument.effectiveLabel) of type \(Value.self): \(error)")
        }
    }

    public mutating func recordReturnType<R: Codable>(_ type: R.Type) throws {}

    public mutating func recordErrorType<E: Error>(_ type: E.Type) throws {}

    public mutating func doneRecording() throws {
        startArguments()
    }

    /// Appends the trailer; the frame is then complete but for its call id.
    mutating func finish(target: RemoteCallTarget, instance: UInt64, metadata: [(String, String)]) {
        startArguments()
        let trailerOffset = frame.payloadCount
        frame.writer.writeVarint(instance)
        frame.writer.writeString(target.identifier)
        frame.writer.writeVarint(metadata.count)
        for (key, value) in metadata {
            frame.writer.writeString(key)
            frame.writer.writeString(value)
        }
        frame.writer.writeInteger(UInt32(trailerOffset))
    }
}

/// A received call, split into its parts; the arguments are decoded lazily by the
/// ``ProcessInvocationDecoder``.
package struct CallMessage: Sendable {
    package var instance: UInt64
    package var target: String
    package var metadata: [(String, String)]
    package var generics: [String]
    /// Positioned at the first argument, ending where the trailer begins.
    package var arguments: ByteReader

    package init(payload: [UInt8]) throws(WireError) {
        guard payload.count >= 4 else { throw .truncated }
        var tail = ByteReader(payload, offset: payload.count - 4)
        let trailerOffset = Int(try tail.readInteger(UInt32.self))
        guard trailerOffset <= payload.count - 4 else { throw .malformed("trailer offset past the end") }

        var trailer = ByteReader(payload, offset: trailerOffset, end: payload.count - 4)
        instance = try trailer.readVarint()
        target = try trailer.readString()
        let metadataCount = try trailer.readVarint()
        guard metadataCount <= UInt64(trailer.remaining) else { throw .malformed("metadata count \(metadataCount)") }
        var metadata: [(String, String)] = []
        for _ in 0..<metadataCount {
            metadata.append((try trailer.readString(), try trailer.readString()))
        }
        self.metadata = metadata

        var head = ByteReader(payload, offset: 0, end: trailerOffset)
        let genericCount = try head.readVarint()
        guard genericCount <= UInt64(head.remaining) else { throw .malformed("generic count \(genericCount)") }
        var generics: [String] = []
        for _ in 0..<genericCount { generics.append(try head.readString()) }
        self.generics = generics
        arguments = head
    }
}

/// Decodes a received call's generic substitutions and arguments for
/// `executeDistributedTarget`.
public struct ProcessInvocationDecoder: DistributedTargetInvocationDecoder {
    public typealias SerializationRequirement = any Codable

    private var arguments: ByteReader
    private let generics: [String]
    private let decoder: WireDecoder
    private var argumentIndex = 0

    init(message: CallMessage, decoder: WireDecoder) {
        arguments = message.arguments
        generics = message.generics
        self.decoder = decoder
    }

    public mutating func decodeGenericSubstitutions() throws -> [Any.Type] {
        try generics.map { name in
            guard let type = _typeByName(name) else {
                throw ProcessError.invalidArguments("generic argument type \(name) is unknown in this executable")
            }
            return type
        }
    }

    public mutating func decodeNextArgument<Argument: Codable>() throws -> Argument {
        defer { argumentIndex += 1 }
        do {
            return try decoder.decode(Argument.self, from: &arguments)
        } catch {
            throw ProcessError.invalidArguments("argument \(argumentIndex) as \(Argument.self): \(error)")
        }
    }

    public mutating func decodeErrorType() throws -> Any.Type? { nil }

    public mutating func decodeReturnType() throws -> Any.Type? { nil }
}

/// Sends the outcome of an executed call back to the caller.
public struct ProcessResultHandler: DistributedTargetInvocationResultHandler {
    public typealias SerializationRequirement = any Codable

    let reply: @Sendable (CallOutcome) -> Void
    let encoder: WireEncoder

    public func onReturn<Success: Codable>(value: Success) async throws {
        var frame = FrameBuilder(kind: .reply, capacity: 64)
        do {
            try encoder.encode(value, into: &frame.writer)
        } catch {
            reply(.failure(ProcessError.encodingFailed("result of type \(Success.self): \(error)")))
            return
        }
        reply(.success(frame))
    }

    public func onReturnVoid() async throws {
        reply(.success(FrameBuilder(kind: .reply, capacity: FrameHeader.size)))
    }

    public func onThrow<Err: Error>(error: Err) async throws {
        reply(.failure(error))
    }
}

/// What a call produced: a reply frame ready but for its id, or an error.
package enum CallOutcome: Sendable {
    case success(FrameBuilder)
    case failure(any Error)
}
