import FoundationEssentials
import Glibc
import TitanCore

/// Decodes values written by ``WireEncoder``. Bytes come from another process: every read is
/// bounds-checked, and bad input throws `DecodingError`, never traps.
package struct WireDecoder: Sendable {
    package let context: WireUserInfo
    /// The connection the bytes arrived on, for values that keep talking to their sender
    /// (a received stream pulls its elements over it). Opaque to the wire layer.
    package let channel: (any WireChannel)?

    /// Deeper nesting than this is refused: a hostile peer could otherwise overflow the stack
    /// through a recursive type.
    package static let maxDepth = 256

    package init(userInfo: [CodingUserInfoKey: Any] = [:], channel: (any WireChannel)? = nil) {
        self.init(context: WireUserInfo(userInfo), channel: channel)
    }

    package init(context: WireUserInfo, channel: (any WireChannel)? = nil) {
        self.context = context
        self.channel = channel
    }

    /// Reads one value (header and payload) from `reader`, advancing past it.
    package func decode<T: Decodable>(_ type: T.Type, from reader: inout ByteReader) throws -> T {
        let state = WireDecodingState(bytes: reader.bytes, context: context, channel: channel)
        var cursor = reader.offset
        let slot = try state.readSlot(at: &cursor, end: reader.end, codingPath: [])
        let value = try state.decodeValue(T.self, slot: slot, depth: 1, parentPath: [], key: nil)
        try reader.skip(cursor - reader.offset)
        return value
    }

    /// Decodes a buffer that holds exactly one value.
    package func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        var reader = ByteReader(bytes)
        let value = try decode(T.self, from: &reader)
        guard reader.isAtEnd else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(reader.remaining) bytes left after the value"))
        }
        return value
    }
}

/// Where one value's payload lies; `isNil` for a nil header.
struct WireSlot {
    var start: Int
    var end: Int
    var isNil: Bool

    var count: Int { end - start }
}

/// The bytes all nested decoders of one `decode` call read from.
final class WireDecodingState {
    let bytes: [UInt8]
    let context: WireUserInfo
    /// The dictionary `Codable` code sees, built the first time some value asks for it.
    lazy var userInfo = context.dictionary
    let channel: (any WireChannel)?

    init(bytes: [UInt8], context: WireUserInfo, channel: (any WireChannel)?) {
        self.bytes = bytes
        self.context = context
        self.channel = channel
    }

    func corrupted(_ codingPath: [any CodingKey], _ why: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: codingPath, debugDescription: why))
    }

    /// Reads a value header at `cursor` (not past `end`) and returns the value's slot.
    @inline(__always)
    func readSlot(at cursor: inout Int, end: Int, codingPath: @autoclosure () -> [any CodingKey]) throws -> WireSlot {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard cursor < end else { throw corrupted(codingPath(), "truncated value header") }
            let byte = bytes[cursor]
            cursor += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            guard shift < 64 else { throw corrupted(codingPath(), "value header longer than 10 bytes") }
        }
        if result == 0 { return WireSlot(start: cursor, end: cursor, isNil: true) }
        let length = result - 1
        guard length <= UInt64(end - cursor) else {
            throw corrupted(codingPath(), "value of \(length) bytes with only \(end - cursor) left")
        }
        let slot = WireSlot(start: cursor, end: cursor + Int(length), isNil: false)
        cursor = slot.end
        return slot
    }

    // MARK: Primitives from a payload

    @inline(__always)
    func rawUnsigned(_ slot: WireSlot, maxBytes: Int, codingPath: @autoclosure () -> [any CodingKey]) throws -> UInt64 {
        guard !slot.isNil else { throw valueNotFound(UInt64.self, codingPath()) }
        guard slot.count <= maxBytes else { throw corrupted(codingPath(), "integer of \(slot.count) bytes does not fit") }
        var value: UInt64 = 0
        for i in 0..<slot.count {
            value |= UInt64(bytes[slot.start + i]) << (8 * UInt64(i))
        }
        return value
    }

    func valueNotFound(_ type: Any.Type, _ codingPath: [any CodingKey]) -> DecodingError {
        .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "expected \(type), found nil"))
    }

    @inline(__always)
    func signed<T: FixedWidthInteger & SignedInteger>(_ type: T.Type, _ slot: WireSlot, codingPath: @autoclosure () -> [any CodingKey]) throws -> T {
        let raw = try rawUnsigned(slot, maxBytes: 8, codingPath: codingPath())
        guard slot.count > 0 else { return 0 }
        let shift = UInt64(64 - 8 * slot.count)
        let value = Int64(bitPattern: raw << shift) >> shift
        guard let result = T(exactly: value) else { throw corrupted(codingPath(), "\(value) does not fit \(T.self)") }
        return result
    }

    @inline(__always)
    func unsigned<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, _ slot: WireSlot, codingPath: @autoclosure () -> [any CodingKey]) throws -> T {
        let value = try rawUnsigned(slot, maxBytes: 8, codingPath: codingPath())
        guard let result = T(exactly: value) else { throw corrupted(codingPath(), "\(value) does not fit \(T.self)") }
        return result
    }

    @inline(__always)
    func bool(_ slot: WireSlot, codingPath: @autoclosure () -> [any CodingKey]) throws -> Bool {
        guard !slot.isNil else { throw valueNotFound(Bool.self, codingPath()) }
        guard slot.count == 1 else { throw corrupted(codingPath(), "Bool of \(slot.count) bytes") }
        switch bytes[slot.start] {
        case 0: return false
        case 1: return true
        case let other: throw corrupted(codingPath(), "Bool byte \(other)")
        }
    }

    @inline(__always)
    func double(_ slot: WireSlot, codingPath: @autoclosure () -> [any CodingKey]) throws -> Double {
        guard !slot.isNil else { throw valueNotFound(Double.self, codingPath()) }
        guard slot.count == 8 else { throw corrupted(codingPath(), "Double of \(slot.count) bytes") }
        return Double(bitPattern: try rawUnsigned(slot, maxBytes: 8, codingPath: codingPath()))
    }

    @inline(__always)
    func float(_ slot: WireSlot, codingPath: @autoclosure () -> [any CodingKey]) throws -> Float {
        guard !slot.isNil else { throw valueNotFound(Float.self, codingPath()) }
        guard slot.count == 4 else { throw corrupted(codingPath(), "Float of \(slot.count) bytes") }
        return Float(bitPattern: UInt32(try rawUnsigned(slot, maxBytes: 4, codingPath: codingPath())))
    }

    @inline(__always)
    func string(_ slot: WireSlot, codingPath: @autoclosure () -> [any CodingKey]) throws -> String {
        guard !slot.isNil else { throw valueNotFound(String.self, codingPath()) }
        return bytes.withUnsafeBufferPointer { buffer in
            // Invalid UTF-8 is repaired (U+FFFD), as String(decoding:) does everywhere.
            String(decoding: UnsafeBufferPointer(rebasing: buffer[slot.start..<slot.end]), as: UTF8.self)
        }
    }

    // MARK: Values

    /// Decodes a value of type `T` from `slot`. Its coding path is `parentPath` plus `key`,
    /// built only if a decoder asks for it or an error needs it.
    func decodeValue<T: Decodable>(_ type: T.Type, slot: WireSlot, depth: Int, parentPath: [any CodingKey], key: (any CodingKey)?) throws -> T {
        // The commonest argument types first, by identity: cheaper than a conformance lookup.
        if T.self == Int.self {
            return unsafeBitCast(try Int.readWireValue(slot, from: self, codingPath: WirePath.join(parentPath, key)), to: T.self)
        }
        if T.self == String.self {
            return unsafeBitCast(try String.readWireValue(slot, from: self, codingPath: WirePath.join(parentPath, key)), to: T.self)
        }
        if let fast = T.self as? any WireFastPath.Type {
            // One cached conformance lookup instead of a cast per primitive type.
            return try fast.readWireValue(slot, from: self, codingPath: WirePath.join(parentPath, key)) as! T
        }
        guard depth <= WireDecoder.maxDepth else {
            throw corrupted(WirePath.join(parentPath, key), "nesting deeper than \(WireDecoder.maxDepth)")
        }
        return try T(from: WireDecoderImpl(state: self, slot: slot, depth: depth, parentPath: parentPath, key: key))
    }
}

/// Coding paths are only materialised when asked for: most decoding never needs one.
enum WirePath {
    static func join(_ parent: [any CodingKey], _ key: (any CodingKey)?) -> [any CodingKey] {
        guard let key else { return parent }
        return parent + [key]
    }
}

/// The `Decoder` handed to `init(from:)`: one value's payload.
struct WireDecoderImpl: Decoder {
    let state: WireDecodingState
    let slot: WireSlot
    let depth: Int
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?

    var codingPath: [any CodingKey] { WirePath.join(parentPath, key) }
    var userInfo: [CodingUserInfoKey: Any] { state.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard !slot.isNil else { throw state.valueNotFound(KeyedDecodingContainer<Key>.self, codingPath) }
        return KeyedDecodingContainer(try WireKeyedDecodingContainer<Key>(state: state, slot: slot, depth: depth, parentPath: parentPath, key: key))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard !slot.isNil else { throw state.valueNotFound((any UnkeyedDecodingContainer).self, codingPath) }
        return try WireUnkeyedDecodingContainer(state: state, slot: slot, depth: depth, parentPath: parentPath, key: key)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        WireSingleValueDecodingContainer(state: state, slot: slot, depth: depth, parentPath: parentPath, key: key)
    }
}

/// One field of a keyed container: where its key and its value lie.
struct WireField {
    var keyStart: Int
    var keyEnd: Int
    var value: WireSlot
}

/// A keyed container's fields, and where the next lookup starts: decoders usually ask for
/// keys in encoding order. A class because the container's methods are not mutating.
final class WireFieldTable {
    let fields: [WireField]
    var hint = 0

    init(_ fields: [WireField]) {
        self.fields = fields
    }
}

struct WireKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let state: WireDecodingState
    let depth: Int
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?
    private let table: WireFieldTable

    var codingPath: [any CodingKey] { WirePath.join(parentPath, key) }

    init(state: WireDecodingState, slot: WireSlot, depth: Int, parentPath: [any CodingKey], key: (any CodingKey)?) throws {
        self.state = state
        self.depth = depth
        self.parentPath = parentPath
        self.key = key
        var fields: [WireField] = []
        var cursor = slot.start
        while cursor < slot.end {
            let name = try state.readSlot(at: &cursor, end: slot.end, codingPath: WirePath.join(parentPath, key))
            guard !name.isNil else { throw state.corrupted(WirePath.join(parentPath, key), "nil key") }
            let value = try state.readSlot(at: &cursor, end: slot.end, codingPath: WirePath.join(parentPath, key))
            fields.append(WireField(keyStart: name.start, keyEnd: name.end, value: value))
        }
        table = WireFieldTable(fields)
    }

    private func matches(_ field: WireField, _ key: some CodingKey) -> Bool {
        var name = key.stringValue
        return name.withUTF8 { utf8 in
            guard utf8.count == field.keyEnd - field.keyStart else { return false }
            return state.bytes.withUnsafeBufferPointer { buffer in
                memcmp(buffer.baseAddress! + field.keyStart, utf8.baseAddress!, utf8.count) == 0
            }
        }
    }

    private func find(_ key: some CodingKey) -> WireSlot? {
        let fields = table.fields
        for offset in 0..<fields.count {
            let index = (table.hint + offset) % fields.count
            if matches(fields[index], key) {
                table.hint = index + 1
                return fields[index].value
            }
        }
        return nil
    }

    private func lookup(_ key: some CodingKey) throws -> WireSlot {
        if let slot = find(key) { return slot }
        throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for key \"\(key.stringValue)\""))
    }

    var allKeys: [Key] {
        table.fields.compactMap { field in
            Key(stringValue: String(decoding: state.bytes[field.keyStart..<field.keyEnd], as: UTF8.self))
        }
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        try lookup(key).isNil
    }

    private func path(_ key: some CodingKey) -> [any CodingKey] { codingPath + [key] }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try state.bool(lookup(key), codingPath: path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try state.string(lookup(key), codingPath: path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try state.double(lookup(key), codingPath: path(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try state.float(lookup(key), codingPath: path(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try state.signed(Int.self, lookup(key), codingPath: path(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try state.signed(Int8.self, lookup(key), codingPath: path(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try state.signed(Int16.self, lookup(key), codingPath: path(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try state.signed(Int32.self, lookup(key), codingPath: path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try state.signed(Int64.self, lookup(key), codingPath: path(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try state.unsigned(UInt.self, lookup(key), codingPath: path(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try state.unsigned(UInt8.self, lookup(key), codingPath: path(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try state.unsigned(UInt16.self, lookup(key), codingPath: path(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try state.unsigned(UInt32.self, lookup(key), codingPath: path(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try state.unsigned(UInt64.self, lookup(key), codingPath: path(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try state.decodeValue(T.self, slot: lookup(key), depth: depth + 1, parentPath: codingPath, key: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try nestedDecoder(key).container(keyedBy: NestedKey.self)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try nestedDecoder(key).unkeyedContainer()
    }

    private func nestedDecoder(_ key: some CodingKey) throws -> WireDecoderImpl {
        guard depth < WireDecoder.maxDepth else { throw state.corrupted(path(key), "nesting deeper than \(WireDecoder.maxDepth)") }
        return WireDecoderImpl(state: state, slot: try lookup(key), depth: depth + 1, parentPath: codingPath, key: key)
    }

    func superDecoder() throws -> any Decoder {
        // `Key` need not have a "super" case (a subclass's CodingKeys usually do not).
        try nestedDecoder(WireSuperKey())
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try nestedDecoder(key)
    }
}

struct WireUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let state: WireDecodingState
    let slot: WireSlot
    let depth: Int
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?
    private var cursor: Int
    private(set) var currentIndex = 0
    /// No count is sent: it is found by skipping over the element headers, which also checks
    /// that every element lies within the payload.
    let count: Int?

    var codingPath: [any CodingKey] { WirePath.join(parentPath, key) }

    init(state: WireDecodingState, slot: WireSlot, depth: Int, parentPath: [any CodingKey], key: (any CodingKey)?) throws {
        self.state = state
        self.slot = slot
        self.depth = depth
        self.parentPath = parentPath
        self.key = key
        cursor = slot.start
        var probe = slot.start
        var n = 0
        while probe < slot.end {
            _ = try state.readSlot(at: &probe, end: slot.end, codingPath: WirePath.join(parentPath, key))
            n += 1
        }
        count = n
    }

    var isAtEnd: Bool { cursor >= slot.end }

    private var indexPath: [any CodingKey] { codingPath + [WireIndexKey(currentIndex)] }

    private mutating func next() throws -> WireSlot {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: indexPath, debugDescription: "unkeyed container is at its end"))
        }
        let (parent, key, index) = (parentPath, self.key, currentIndex)
        var position = cursor
        let element = try state.readSlot(at: &position, end: slot.end, codingPath: WirePath.join(parent, key) + [WireIndexKey(index)])
        cursor = position
        currentIndex += 1
        return element
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: indexPath, debugDescription: "unkeyed container is at its end"))
        }
        var probe = cursor
        let element = try state.readSlot(at: &probe, end: slot.end, codingPath: indexPath)
        guard element.isNil else { return false }
        cursor = probe
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { let i = currentIndex; return try state.bool(next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: String.Type) throws -> String { let i = currentIndex; return try state.string(next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: Double.Type) throws -> Double { let i = currentIndex; return try state.double(next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: Float.Type) throws -> Float { let i = currentIndex; return try state.float(next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: Int.Type) throws -> Int { let i = currentIndex; return try state.signed(Int.self, next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { let i = currentIndex; return try state.signed(Int8.self, next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { let i = currentIndex; return try state.signed(Int16.self, next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { let i = currentIndex; return try state.signed(Int32.self, next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { let i = currentIndex; return try state.signed(Int64.self, next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { let i = currentIndex; return try state.unsigned(UInt.self, next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { let i = currentIndex; return try state.unsigned(UInt8.self, next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let i = currentIndex; return try state.unsigned(UInt16.self, next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { let i = currentIndex; return try state.unsigned(UInt32.self, next(), codingPath: codingPath + [WireIndexKey(i)]) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { let i = currentIndex; return try state.unsigned(UInt64.self, next(), codingPath: codingPath + [WireIndexKey(i)]) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let index = currentIndex
        let element = try next()
        return try state.decodeValue(T.self, slot: element, depth: depth + 1, parentPath: codingPath, key: WireIndexKey(index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try nestedDecoder().container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try nestedDecoder().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        try nestedDecoder()
    }

    private mutating func nestedDecoder() throws -> WireDecoderImpl {
        let index = currentIndex
        guard depth < WireDecoder.maxDepth else { throw state.corrupted(indexPath, "nesting deeper than \(WireDecoder.maxDepth)") }
        return WireDecoderImpl(state: state, slot: try next(), depth: depth + 1, parentPath: codingPath, key: WireIndexKey(index))
    }
}

/// Reads the payload of the value its decoder stands for.
struct WireSingleValueDecodingContainer: SingleValueDecodingContainer {
    let state: WireDecodingState
    let slot: WireSlot
    let depth: Int
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?

    var codingPath: [any CodingKey] { WirePath.join(parentPath, key) }

    func decodeNil() -> Bool { slot.isNil }
    func decode(_ type: Bool.Type) throws -> Bool { try state.bool(slot, codingPath: codingPath) }
    func decode(_ type: String.Type) throws -> String { try state.string(slot, codingPath: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try state.double(slot, codingPath: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try state.float(slot, codingPath: codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try state.signed(Int.self, slot, codingPath: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try state.signed(Int8.self, slot, codingPath: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try state.signed(Int16.self, slot, codingPath: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try state.signed(Int32.self, slot, codingPath: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try state.signed(Int64.self, slot, codingPath: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try state.unsigned(UInt.self, slot, codingPath: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try state.unsigned(UInt8.self, slot, codingPath: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try state.unsigned(UInt16.self, slot, codingPath: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try state.unsigned(UInt32.self, slot, codingPath: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try state.unsigned(UInt64.self, slot, codingPath: codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        // The same payload, read as T: no header of its own (see the encoder's writePayload).
        guard depth < WireDecoder.maxDepth else { throw state.corrupted(codingPath, "nesting deeper than \(WireDecoder.maxDepth)") }
        return try state.decodeValue(T.self, slot: slot, depth: depth + 1, parentPath: parentPath, key: key)
    }
}

/// Something a decoded value may keep talking to: the connection its bytes came from.
/// The wire layer only carries it; the layers above give it meaning.
package protocol WireChannel: AnyObject, Sendable {}

/// A decoder that can name the channel its bytes came from (``WireDecoder`` does).
package protocol WireChannelDecoder: Decoder {
    var channel: (any WireChannel)? { get }
}

extension WireDecoderImpl: WireChannelDecoder {
    package var channel: (any WireChannel)? { state.channel }
}
