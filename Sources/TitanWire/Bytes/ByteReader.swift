import TitanCore

/// A cursor over received bytes. Every read checks bounds and throws
/// ``WireError/truncated`` instead of trapping: the bytes come from another process.
package struct ByteReader: Sendable {
    package let bytes: [UInt8]
    package private(set) var offset: Int
    package let end: Int

    package init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    package var remaining: Int { end - offset }
    package var isAtEnd: Bool { offset >= end }

    package mutating func readByte() throws(WireError) -> UInt8 {
        guard offset < end else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    package mutating func readInteger<T: FixedWidthInteger>(_: T.Type = T.self) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        guard end - offset >= size else { throw .truncated }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += size
        return T(littleEndian: value)
    }

    /// Reads an unsigned LEB128 varint (at most 10 bytes).
    package mutating func readVarint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw .truncated }
            let byte = bytes[offset]
            offset += 1
            if shift == 63 && byte > 1 { throw .malformed("varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .malformed("varint longer than 10 bytes") }
        }
    }

    /// Reads a varint that must fit a non-negative `Int` no larger than what is left to read.
    package mutating func readLength() throws(WireError) -> Int {
        let value = try readVarint()
        guard value <= UInt64(remaining) else { throw .truncated }
        return Int(value)
    }

    package mutating func readBytes(count: Int) throws(WireError) -> ArraySlice<UInt8> {
        guard count >= 0, end - offset >= count else { throw .truncated }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    package mutating func readLengthPrefixed() throws(WireError) -> ArraySlice<UInt8> {
        try readBytes(count: try readLength())
    }

    package mutating func readString() throws(WireError) -> String {
        let count = try readLength()
        let start = offset
        offset += count
        return bytes.withUnsafeBufferPointer { buf in
            String(decoding: UnsafeBufferPointer(rebasing: buf[start..<(start + count)]), as: UTF8.self)
        }
    }

    package mutating func skip(_ count: Int) throws(WireError) {
        guard count >= 0, end - offset >= count else { throw .truncated }
        offset += count
    }

    /// A reader over the next `count` bytes; advances this reader past them.
    package mutating func subReader(count: Int) throws(WireError) -> ByteReader {
        guard count >= 0, end - offset >= count else { throw .truncated }
        defer { offset += count }
        return ByteReader(bytes, offset: offset, end: offset + count)
    }
}

/// Bytes that cannot be parsed. Always a peer's fault (or a bug); never a trap.
package enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated
    case malformed(String)

    package var description: String {
        switch self {
        case .truncated: "truncated message"
        case .malformed(let why): "malformed message: \(why)"
        }
    }
}
