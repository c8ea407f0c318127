import FoundationEssentials
import TitanCore

// The wire format of one value:
//
//     header   varint n: 0 means nil; otherwise the payload is the next n - 1 bytes
//     payload  Bool: 1 byte. Integers: little-endian, the fewest bytes that round-trip
//              (sign-extended for signed types; 0 takes no bytes). Float/Double: 4/8 bytes.
//              String: UTF-8. Keyed container: (key, value)*, key = varint length + UTF-8.
//              Unkeyed container: value*. Single-value container: the inner payload.
//              [UInt8], Data: raw bytes. Arrays of fixed-width numbers: packed little-endian.
//
// Every value is self-delimiting, so a decoder can skip what it does not want and find
// keys in any order. No type tags travel: both sides know the types.

/// Encodes `Encodable` values into the compact binary wire format.
package struct WireEncoder: Sendable {
    package let context: WireUserInfo

    package init(userInfo: [CodingUserInfoKey: Any] = [:]) {
        context = WireUserInfo(userInfo)
    }

    package init(context: WireUserInfo) {
        self.context = context
    }

    /// Appends one encoded value (header and payload) to `writer`.
    package func encode<T: Encodable>(_ value: T, into writer: inout ByteWriter) throws {
        let state = WireEncodingState(context: context, bytes: writer.take())
        defer { writer = ByteWriter(adopting: state.bytes) }
        try state.writeValue(value, depth: 1, parentPath: [], key: nil)
    }

    /// The encoding of one value.
    package func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        try encode(value, into: &writer)
        return writer.take()
    }
}

/// The buffer all nested encoders of one `encode` call write into.
final class WireEncodingState {
    var bytes: [UInt8]
    let context: WireUserInfo
    /// The dictionary `Codable` code sees, built the first time some value asks for it.
    lazy var userInfo = context.dictionary
    /// Set by a single-value container's `encodeNil`, read when its value's header is patched.
    var pendingNil = false
    /// Nested containers whose headers are still open, innermost last. A container's payload
    /// ends when a container at its depth or above writes again, or its enclosing value ends.
    var openNested: [(offset: Int, depth: Int, id: Int)] = []
    private var nextNestedID = 0

    init(context: WireUserInfo, bytes: [UInt8]) {
        self.context = context
        self.bytes = bytes
    }

    // MARK: Headers

    @inline(__always)
    func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always)
    func writeNil() {
        bytes.append(0)
    }

    /// Header for a payload of `count` bytes that follows.
    @inline(__always)
    func writeHeader(payloadCount count: Int) {
        writeVarint(UInt64(count) + 1)
    }

    /// Reserves one header byte for a payload of unknown length; returns its offset.
    @inline(__always)
    func beginComposite() -> Int {
        bytes.append(0)
        return bytes.count - 1
    }

    /// Writes the header reserved at `offset` now that the payload is complete, moving the
    /// payload if the length needs more than one varint byte.
    func endComposite(at offset: Int) {
        let payload = bytes.count - offset - 1
        if pendingNil && payload == 0 {
            pendingNil = false
            bytes[offset] = 0
            return
        }
        pendingNil = false
        let n = UInt64(payload) + 1
        if n < 0x80 {
            bytes[offset] = UInt8(n)
            return
        }
        var size = 0
        var probe = n
        while probe != 0 {
            size += 1
            probe >>= 7
        }
        bytes.insert(contentsOf: repeatElement(0, count: size - 1), at: offset + 1)
        var v = n
        for i in 0..<size {
            bytes[offset + i] = UInt8(truncatingIfNeeded: v) | (i < size - 1 ? 0x80 : 0)
            v >>= 7
        }
    }

    // MARK: Payloads of primitives (no header)

    @inline(__always)
    func writeSignedPayload(_ value: Int64) {
        guard value != 0 else { return }
        let significant = 65 - (value < 0 ? (~value).leadingZeroBitCount : value.leadingZeroBitCount)
        let count = (significant + 7) / 8
        var v = UInt64(bitPattern: value)
        for _ in 0..<count {
            bytes.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    @inline(__always)
    func writeUnsignedPayload(_ value: UInt64) {
        var v = value
        while v != 0 {
            bytes.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    @inline(__always)
    static func signedPayloadCount(_ value: Int64) -> Int {
        value == 0 ? 0 : (72 - (value < 0 ? (~value).leadingZeroBitCount : value.leadingZeroBitCount)) / 8
    }

    @inline(__always)
    static func unsignedPayloadCount(_ value: UInt64) -> Int {
        (71 - value.leadingZeroBitCount) / 8
    }

    @inline(__always)
    func writeString(payloadOf string: String) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    func writeFixed<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    // MARK: Values (header + payload)

    @inline(__always)
    func writeSigned(_ value: Int64) {
        writeHeader(payloadCount: Self.signedPayloadCount(value))
        writeSignedPayload(value)
    }

    @inline(__always)
    func writeUnsigned(_ value: UInt64) {
        writeHeader(payloadCount: Self.unsignedPayloadCount(value))
        writeUnsignedPayload(value)
    }

    @inline(__always)
    func writeBool(_ value: Bool) {
        bytes.append(2)
        bytes.append(value ? 1 : 0)
    }

    @inline(__always)
    func writeDouble(_ value: Double) {
        bytes.append(9)
        writeFixed(value.bitPattern)
    }

    @inline(__always)
    func writeFloat(_ value: Float) {
        bytes.append(5)
        writeFixed(value.bitPattern)
    }

    @inline(__always)
    func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeHeader(payloadCount: utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    func writeRaw(_ raw: UnsafeRawBufferPointer) {
        writeHeader(payloadCount: raw.count)
        bytes.append(contentsOf: raw)
    }


    // MARK: Nesting

    /// Closes the nested containers deeper than `depth`; a container at `depth` is about to
    /// write. Throws if that container is nested and was already closed.
    @inline(__always)
    func prepareWrite(depth: Int, nestedID: Int?) throws {
        while let last = openNested.last, last.depth > depth {
            openNested.removeLast()
            endComposite(at: last.offset)
        }
        if let nestedID, openNested.last?.id != nestedID {
            throw EncodingError.invalidValue(nestedID, EncodingError.Context(
                codingPath: [],
                debugDescription: "a nested container was written to after its parent container moved on; the wire format streams values in order"
            ))
        }
    }

    /// Opens a nested container's value at `depth` (the nested container's own depth).
    func openNestedContainer(depth: Int) -> Int {
        let offset = beginComposite()
        nextNestedID += 1
        openNested.append((offset, depth, nextNestedID))
        return nextNestedID
    }

    /// Opens a nested container's value after `writeKey` wrote its key or element slot. If
    /// that threw (the parent container was already closed), nothing is written and the
    /// returned ID is never open, so the nested container's first write throws.
    func openNestedContainer(depth: Int, after writeKey: () throws -> Void) -> Int {
        do {
            try writeKey()
        } catch {
            nextNestedID += 1
            return nextNestedID
        }
        return openNestedContainer(depth: depth)
    }

    /// Writes `value` with its header, taking the fast path for primitives and bytes.
    /// `depth` is the depth of the containers inside `value`.
    func writeValue<T: Encodable>(_ value: T, depth: Int, parentPath: [any CodingKey], key: (any CodingKey)?) throws {
        if writeFastPath(value) { return }
        let offset = beginComposite()
        try value.encode(to: WireEncoderImpl(state: self, depth: depth, parentPath: parentPath, key: key))
        try prepareWrite(depth: depth - 1, nestedID: nil)
        endComposite(at: offset)
    }

    /// Writes only the payload of `value` (its header was reserved by the caller).
    func writePayload<T: Encodable>(_ value: T, depth: Int, parentPath: [any CodingKey], key: (any CodingKey)?) throws {
        // A primitive written through a single-value container: encode it as a value, then
        // drop the header it got, since the enclosing slot has one already.
        let start = bytes.count
        if writeFastPath(value) {
            var reader = ByteReader(bytes, offset: start)
            let header = try reader.readVarint()
            if header == 0 {
                bytes.removeSubrange(start...)
                pendingNil = true
            } else {
                bytes.removeSubrange(start..<reader.offset)
            }
            return
        }
        try value.encode(to: WireEncoderImpl(state: self, depth: depth, parentPath: parentPath, key: key))
    }

    @inline(__always)
    private func writeFastPath<T: Encodable>(_ value: T) -> Bool {
        // The commonest argument types first, by identity: cheaper than a conformance lookup.
        if T.self == Int.self {
            unsafeBitCast(value, to: Int.self).writeWireValue(to: self)
            return true
        }
        if T.self == String.self {
            unsafeBitCast(value, to: String.self).writeWireValue(to: self)
            return true
        }
        // Then one cached conformance lookup instead of a cast per primitive type.
        guard let fast = value as? any WireFastPath else { return false }
        fast.writeWireValue(to: self)
        return true
    }
}

/// The `Encoder` handed to `encode(to:)`.
struct WireEncoderImpl: Encoder {
    let state: WireEncodingState
    /// The depth of containers made by this encoder.
    let depth: Int
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?
    /// Set for a super encoder: the nested value its containers write into.
    var nestedID: Int? = nil

    var codingPath: [any CodingKey] { WirePath.join(parentPath, key) }
    var userInfo: [CodingUserInfoKey: Any] { state.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(WireKeyedEncodingContainer<Key>(state: state, depth: depth, nestedID: nestedID, parentPath: parentPath, key: key))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        WireUnkeyedEncodingContainer(state: state, depth: depth, nestedID: nestedID, parentPath: parentPath, key: key)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        WireSingleValueEncodingContainer(state: state, depth: depth, parentPath: parentPath, key: key)
    }
}

struct WireKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: WireEncodingState
    let depth: Int
    let nestedID: Int?
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?

    var codingPath: [any CodingKey] { WirePath.join(parentPath, key) }

    @inline(__always)
    private func writeKey(_ key: some CodingKey) throws {
        try state.prepareWrite(depth: depth, nestedID: nestedID)
        state.writeString(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws { try writeKey(key); state.writeNil() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try writeKey(key); state.writeBool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { try writeKey(key); state.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try writeKey(key); state.writeDouble(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try writeKey(key); state.writeFloat(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try writeKey(key); state.writeSigned(Int64(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try writeKey(key); state.writeSigned(Int64(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try writeKey(key); state.writeSigned(Int64(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try writeKey(key); state.writeSigned(Int64(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try writeKey(key); state.writeSigned(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try writeKey(key); state.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try writeKey(key); state.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try writeKey(key); state.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try writeKey(key); state.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try writeKey(key); state.writeUnsigned(value) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try writeKey(key)
        try state.writeValue(value, depth: depth + 1, parentPath: codingPath, key: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        // Errors surface on the nested container's first write (see prepareWrite).
        let id = state.openNestedContainer(depth: depth + 1) { try writeKey(key) }
        return KeyedEncodingContainer(WireKeyedEncodingContainer<NestedKey>(state: state, depth: depth + 1, nestedID: id, parentPath: codingPath, key: key))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let id = state.openNestedContainer(depth: depth + 1) { try writeKey(key) }
        return WireUnkeyedEncodingContainer(state: state, depth: depth + 1, nestedID: id, parentPath: codingPath, key: key)
    }

    mutating func superEncoder() -> any Encoder {
        // `Key` need not have a "super" case (a subclass's CodingKeys usually do not).
        superEncoder(key: WireSuperKey())
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        superEncoder(key: key)
    }

    private func superEncoder(key: some CodingKey) -> any Encoder {
        let id = state.openNestedContainer(depth: depth + 1) { try writeKey(key) }
        return WireEncoderImpl(state: state, depth: depth + 1, parentPath: codingPath, key: key, nestedID: id)
    }
}

struct WireUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let state: WireEncodingState
    let depth: Int
    let nestedID: Int?
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?
    private(set) var count = 0

    var codingPath: [any CodingKey] { WirePath.join(parentPath, key) }

    init(state: WireEncodingState, depth: Int, nestedID: Int?, parentPath: [any CodingKey], key: (any CodingKey)?) {
        self.state = state
        self.depth = depth
        self.nestedID = nestedID
        self.parentPath = parentPath
        self.key = key
    }

    @inline(__always)
    private mutating func next() throws {
        try state.prepareWrite(depth: depth, nestedID: nestedID)
        count += 1
    }

    mutating func encodeNil() throws { try next(); state.writeNil() }
    mutating func encode(_ value: Bool) throws { try next(); state.writeBool(value) }
    mutating func encode(_ value: String) throws { try next(); state.writeString(value) }
    mutating func encode(_ value: Double) throws { try next(); state.writeDouble(value) }
    mutating func encode(_ value: Float) throws { try next(); state.writeFloat(value) }
    mutating func encode(_ value: Int) throws { try next(); state.writeSigned(Int64(value)) }
    mutating func encode(_ value: Int8) throws { try next(); state.writeSigned(Int64(value)) }
    mutating func encode(_ value: Int16) throws { try next(); state.writeSigned(Int64(value)) }
    mutating func encode(_ value: Int32) throws { try next(); state.writeSigned(Int64(value)) }
    mutating func encode(_ value: Int64) throws { try next(); state.writeSigned(value) }
    mutating func encode(_ value: UInt) throws { try next(); state.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { try next(); state.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { try next(); state.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { try next(); state.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { try next(); state.writeUnsigned(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try next()
        try state.writeValue(value, depth: depth + 1, parentPath: codingPath, key: WireIndexKey(count - 1))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let id = state.openNestedContainer(depth: depth + 1) { try next() }
        return KeyedEncodingContainer(WireKeyedEncodingContainer<NestedKey>(state: state, depth: depth + 1, nestedID: id, parentPath: codingPath, key: WireIndexKey(count - 1)))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let id = state.openNestedContainer(depth: depth + 1) { try next() }
        return WireUnkeyedEncodingContainer(state: state, depth: depth + 1, nestedID: id, parentPath: codingPath, key: WireIndexKey(count - 1))
    }

    mutating func superEncoder() -> any Encoder {
        let id = state.openNestedContainer(depth: depth + 1) { try next() }
        return WireEncoderImpl(state: state, depth: depth + 1, parentPath: codingPath, key: WireIndexKey(count - 1), nestedID: id)
    }
}

/// Writes the payload of the value whose header its encoder's caller reserved.
struct WireSingleValueEncodingContainer: SingleValueEncodingContainer {
    let state: WireEncodingState
    let depth: Int
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?

    var codingPath: [any CodingKey] { WirePath.join(parentPath, key) }

    mutating func encodeNil() throws { state.pendingNil = true }
    mutating func encode(_ value: Bool) throws { state.bytes.append(value ? 1 : 0) }
    mutating func encode(_ value: String) throws { state.writeString(payloadOf: value) }
    mutating func encode(_ value: Double) throws { state.writeFixed(value.bitPattern) }
    mutating func encode(_ value: Float) throws { state.writeFixed(value.bitPattern) }
    mutating func encode(_ value: Int) throws { state.writeSignedPayload(Int64(value)) }
    mutating func encode(_ value: Int8) throws { state.writeSignedPayload(Int64(value)) }
    mutating func encode(_ value: Int16) throws { state.writeSignedPayload(Int64(value)) }
    mutating func encode(_ value: Int32) throws { state.writeSignedPayload(Int64(value)) }
    mutating func encode(_ value: Int64) throws { state.writeSignedPayload(value) }
    mutating func encode(_ value: UInt) throws { state.writeUnsignedPayload(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { state.writeUnsignedPayload(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { state.writeUnsignedPayload(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { state.writeUnsignedPayload(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { state.writeUnsignedPayload(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try state.writePayload(value, depth: depth, parentPath: parentPath, key: key)
    }
}

/// The coding key of an unkeyed container's element, for coding paths in errors.
struct WireIndexKey: CodingKey {
    let index: Int

    init(_ index: Int) {
        self.index = index
    }

    var intValue: Int? { index }
    var stringValue: String { "Index \(index)" }

    init?(stringValue: String) { nil }

    init?(intValue: Int) { self.init(intValue) }
}

/// The key `superEncoder()` and `superDecoder()` use, whatever the container's key type.
struct WireSuperKey: CodingKey {
    init() {}

    var stringValue: String { "super" }
    var intValue: Int? { nil }

    init?(stringValue: String) {
        guard stringValue == "super" else { return nil }
    }

    init?(intValue: Int) { nil }
}
