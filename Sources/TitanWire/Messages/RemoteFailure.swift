import TitanCore

/// How an error crosses the wire, in a `failure` frame or a failed stream end.
///
/// A `Codable` error travels as its mangled type name plus its encoded value, so the caller
/// can rebuild it as its own type when that type exists in the caller's binary. Anything
/// else — and a `Codable` error whose type the caller does not know — arrives as
/// ``ProcessError/remote(type:message:)`` with the type's name and description.
package enum RemoteFailure {
    private static let codable: UInt8 = 0
    private static let described: UInt8 = 1

    /// Appends `error` to `writer`.
    package static func write(_ error: any Error, into writer: inout ByteWriter, encoder: WireEncoder) {
        let typeName = String(reflecting: type(of: error))
        let message = String(describing: error)
        if let codable = error as? any (Error & Encodable), let mangled = _mangledTypeName(type(of: codable)) {
            var body = ByteWriter()
            if (try? encodeValue(codable, into: &body, encoder: encoder)) != nil {
                writer.writeByte(Self.codable)
                writer.writeString(mangled)
                writer.writeString(typeName)
                writer.writeString(message)
                writer.writeLengthPrefixed(body.bytes)
                return
            }
        }
        writer.writeByte(Self.described)
        writer.writeString(typeName)
        writer.writeString(message)
    }

    private static func encodeValue<E: Encodable>(_ value: E, into writer: inout ByteWriter, encoder: WireEncoder) throws {
        try encoder.encode(value, into: &writer)
    }

    /// Rebuilds the error written by ``write(_:into:encoder:)``.
    package static func read(from reader: inout ByteReader, decoder: WireDecoder) -> any Error {
        do {
            switch try reader.readByte() {
            case Self.codable:
                let mangled = try reader.readString()
                let typeName = try reader.readString()
                let message = try reader.readString()
                let body = try reader.readLengthPrefixed()
                guard let type = TypeName.resolve(mangled) as? any (Error & Decodable).Type else {
                    return ProcessError.remote(type: typeName, message: message)
                }
                do {
                    return try decodeValue(type, from: Array(body), decoder: decoder)
                } catch {
                    return ProcessError.remote(type: typeName, message: message)
                }
            case Self.described:
                let typeName = try reader.readString()
                let message = try reader.readString()
                return ProcessError.remote(type: typeName, message: message)
            case let tag:
                return ProcessError.protocolViolation("unknown failure encoding \(tag)")
            }
        } catch {
            return ProcessError.protocolViolation("malformed failure: \(error)")
        }
    }

    private static func decodeValue<E: Error & Decodable>(_ type: E.Type, from bytes: [UInt8], decoder: WireDecoder) throws -> any Error {
        try decoder.decode(E.self, from: bytes)
    }

    /// The payload of a `failure` frame for `error`.
    package static func payload(_ error: any Error, encoder: WireEncoder) -> [UInt8] {
        var writer = ByteWriter()
        write(error, into: &writer, encoder: encoder)
        return writer.bytes
    }
}
