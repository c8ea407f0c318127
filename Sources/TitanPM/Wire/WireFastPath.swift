import FoundationEssentials

/// Types whose wire encoding is written by hand instead of through `Codable`: the numbers,
/// Bool, String, and byte and number arrays. Both sides check for it by type, so a value
/// always travels the same way.
protocol WireFastPath {
    /// Writes header and payload.
    func writeWireValue(to state: WireEncodingState)
    /// Reads the value from its slot.
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Self
}

extension Int: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeSigned(Int64(self)) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Int {
        try state.signed(Int.self, slot, codingPath: codingPath())
    }
}

extension Int64: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeSigned(self) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Int64 {
        try state.signed(Int64.self, slot, codingPath: codingPath())
    }
}

extension Int32: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeSigned(Int64(self)) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Int32 {
        try state.signed(Int32.self, slot, codingPath: codingPath())
    }
}

extension Int16: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeSigned(Int64(self)) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Int16 {
        try state.signed(Int16.self, slot, codingPath: codingPath())
    }
}

extension Int8: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeSigned(Int64(self)) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> Int8 {
        try state.signed(Int8.self, slot, codingPath: codingPath())
    }
}

extension UInt: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeUnsigned(UInt64(self)) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> UInt {
        try state.unsigned(UInt.self, slot, codingPath: codingPath())
    }
}

extension UInt64: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeUnsigned(self) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> UInt64 {
        try state.unsigned(UInt64.self, slot, codingPath: codingPath())
    }
}

extension UInt32: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeUnsigned(UInt64(self)) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> UInt32 {
        try state.unsigned(UInt32.self, slot, codingPath: codingPath())
    }
}

extension UInt16: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeUnsigned(UInt64(self)) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> UInt16 {
        try state.unsigned(UInt16.self, slot, codingPath: codingPath())
    }
}

extension UInt8: WireFastPath {
    func writeWireValue(to state: WireEncodingState) { state.writeUnsigned(UInt64(self)) }
    static func readWireValue(_ slot: WireSlot, from state: WireDecodingState, codingPath: @autoclosure () -> [any CodingKey]) throws -> UInt8 {
        try state.unsigned(UInt8.self, slot, codingPath: codingPath())
    }
}

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
