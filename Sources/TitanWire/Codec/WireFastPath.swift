import FoundationEssentials
import TitanCore

/// Types whose wire encoding is written by hand instead of through `Codable`: the numbers,
/// Bool, String, and byte and number arrays. Both sides check for it by type, so a value
/// always travels the same way.
protocol WireFastPath {
    /// Writes header and payload.
    func writeWireValue(to state: WireEncodingState)
    /// Reads the value from its slot.
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Self
}

/// Signed integers travel sign-extended to 64 bits, in the fewest bytes that round-trip.
protocol WireSignedInteger: WireFastPath, FixedWidthInteger, SignedInteger {}

extension WireSignedInteger {
    func writeWireValue(to state: WireEncodingState) { state.writeSigned(Int64(self)) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Self {
        try state.signed(Self.self, slot, codingPath: codingPath())
    }
}

/// Unsigned integers travel zero-extended to 64 bits, in the fewest bytes that round-trip.
protocol WireUnsignedInteger: WireFastPath, FixedWidthInteger, UnsignedInteger {}

extension WireUnsignedInteger {
    func writeWireValue(to state: WireEncodingState) { state.writeUnsigned(UInt64(self)) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Self {
        try state.unsigned(Self.self, slot, codingPath: codingPath())
    }
}

extension Int: WireSignedInteger {}
extension Int64: WireSignedInteger {}
extension Int32: WireSignedInteger {}
extension Int16: WireSignedInteger {}
extension Int8: WireSignedInteger {}
extension UInt: WireUnsignedInteger {}
extension UInt64: WireUnsignedInteger {}
extension UInt32: WireUnsignedInteger {}
extension UInt16: WireUnsignedInteger {}
extension UInt8: WireUnsignedInteger {}

extension Bool: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeBool(self) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Bool {
        try state.bool(slot, codingPath: codingPath())
    }
}

extension Double: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeDouble(self) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Double {
        try state.double(slot, codingPath: codingPath())
    }
}

extension Float: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeFloat(self) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Float {
        try state.float(slot, codingPath: codingPath())
    }
}

extension String: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeString(self) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> String {
        try state.string(slot, codingPath: codingPath())
    }
}

/// Fixed-width numbers whose arrays travel as packed little-endian bytes.
protocol WirePackable: BitwiseCopyable {}

extension Int: WirePackable {}
extension Int64: WirePackable {}
extension Int32: WirePackable {}
extension Int16: WirePackable {}
extension Int8: WirePackable {}
extension UInt: WirePackable {}
extension UInt64: WirePackable {}
extension UInt32: WirePackable {}
extension UInt16: WirePackable {}
extension UInt8: WirePackable {}
extension Double: WirePackable {}
extension Float: WirePackable {}

extension WireEncodingState {
    /// Header and packed bytes: on a little-endian machine, the array's own memory.
    func writePacked(_ raw: UnsafeRawBufferPointer) {
        #if _endian(little)
        writeRaw(raw)
        #else
        #error("the wire format is little-endian; big-endian hosts need byte swapping here")
        #endif
    }
}

extension WireDecodingState {
    /// An array of `T` from packed little-endian bytes.
    func packed<T: WirePackable>(_ slot: WireSlot, as type: T.Type, codingPath: @autoclosure () -> [any CodingKey]) throws -> [T] {
        guard !slot.isNil else { throw valueNotFound([T].self, codingPath()) }
        let size = MemoryLayout<T>.stride
        guard slot.count % size == 0 else {
            throw corrupted(codingPath(), "packed array of \(slot.count) bytes is not a multiple of \(size)")
        }
        let count = slot.count / size
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[slot.start..<slot.end]))
            }
            initialized = count
        }
    }
}

extension Array: WireFastPath where Element: WirePackable {
    func writeWireValue(to state: WireEncodingState) {
        withUnsafeBytes { state.writePacked($0) }
    }

    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> [Element] {
        try state.packed(slot, as: Element.self, codingPath: codingPath())
    }
}

extension ContiguousArray: WireFastPath where Element: WirePackable {
    func writeWireValue(to state: WireEncodingState) {
        withUnsafeBytes { state.writePacked($0) }
    }

    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> ContiguousArray<Element> {
        ContiguousArray(try state.packed(slot, as: Element.self, codingPath: codingPath()))
    }
}

extension Data: WireFastPath {
    func writeWireValue(to state: WireEncodingState) {
        withUnsafeBytes { state.writeRaw($0) }
    }

    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Data {
        guard !slot.isNil else { throw state.valueNotFound(Data.self, codingPath()) }
        return state.bytes.withUnsafeBytes { Data(UnsafeRawBufferPointer(rebasing: $0[slot.start..<slot.end])) }
    }
}
