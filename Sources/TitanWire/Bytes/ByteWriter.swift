import TitanCore

/// An append-only byte buffer used to build frames and encoded values.
///
/// Integers are little-endian. Variable-length integers use LEB128 (7 bits per byte, high bit
/// set on every byte but the last), so small lengths and counts cost one byte.
package struct ByteWriter: Sendable {
    package private(set) var bytes: [UInt8]

    package init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// A writer that continues after `bytes`.
    package init(adopting bytes: [UInt8]) {
        self.bytes = bytes
    }

    package var count: Int { bytes.count }

    package mutating func reserveCapacity(_ n: Int) {
        bytes.reserveCapacity(n)
    }

    package mutating func writeByte(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// Writes a fixed-width integer, little-endian.
    package mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Writes an unsigned LEB128 varint.
    package mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    package mutating func writeVarint(_ value: Int) {
        writeVarint(UInt64(value))
    }

    package mutating func writeBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    package mutating func writeBytes(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }

    /// Writes a varint length followed by the bytes.
    package mutating func writeLengthPrefixed<C: Collection>(_ data: C) where C.Element == UInt8 {
        writeVarint(data.count)
        bytes.append(contentsOf: data)
    }

    /// Writes a varint byte length followed by the UTF-8 of `string`.
    package mutating func writeString(_ string: String) {
        var s = string
        s.withUTF8 { utf8 in
            writeVarint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// Overwrites a previously written fixed-width integer at `offset`.
    package mutating func patchInteger<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<raw.count { bytes[offset + i] = raw[i] }
        }
    }

    /// Removes everything written, keeping the allocation.
    package mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// Hands out the bytes and leaves the writer empty.
    package mutating func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }
}
