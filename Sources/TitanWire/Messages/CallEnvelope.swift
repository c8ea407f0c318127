import TitanCore

// The payload of a `call` frame:
//
//     generic substitutions   varint count, then that many mangled type names
//     arguments               one wire value each, in order
//     trailer                 actor instance (varint), target identifier (string),
//                             deadline (varint: nanoseconds the caller had left, plus one;
//                             0 for none), metadata (varint count, then key/value strings)
//     trailer offset          UInt32, where the trailer starts within the payload
//
// The target is only known once the compiler-generated thunk has recorded every argument,
// so it goes after them; the fixed-size offset at the end lets the callee find it without
// the caller copying the arguments a second time.

/// A received call, split into its parts; the arguments are decoded lazily by the
/// actor system's invocation decoder.
package struct CallEnvelope: Sendable {
    package var instance: UInt64
    package var target: String
    package var metadata: CallMetadata
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
        let deadline = try trailer.readVarint()
        let metadataCount = try trailer.readVarint()
        guard metadataCount <= UInt64(trailer.remaining) else { throw .malformed("metadata count \(metadataCount)") }
        var metadata = CallMetadata()
        if deadline > 0 { metadata.deadline = .nanoseconds(Int64(clamping: deadline - 1)) }
        for _ in 0..<metadataCount {
            let key = try trailer.readString()
            metadata[key] = try trailer.readString()
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

    /// Appends the trailer to a call frame whose arguments are written: the frame is then
    /// complete but for its call id.
    package static func writeTrailer(into frame: inout FrameBuilder, instance: UInt64, target: String, metadata: CallMetadata) {
        let trailerOffset = frame.payloadCount
        frame.writer.writeVarint(instance)
        frame.writer.writeString(target)
        frame.writer.writeVarint(metadata.deadline.map { min($0.wholeNanoseconds, .max - 1) + 1 } ?? 0)
        frame.writer.writeVarint(metadata.count)
        for (key, value) in metadata {
            frame.writer.writeString(key)
            frame.writer.writeString(value)
        }
        frame.writer.writeInteger(UInt32(trailerOffset))
    }
}
