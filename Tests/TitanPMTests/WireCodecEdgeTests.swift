import FoundationEssentials
import Testing
import TitanPMTestKit
@testable import TitanPM
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

// More unit tests of the binary Codable wire codec (Sources/TitanPM/Wire), beyond
// WireCodecTests: every width through every container kind, exact bytes, class hierarchies,
// hand-written nested containers, fuzzing several types, crafted hostile bytes, and every
// kind of nested-container misuse. Pure in-process: no
// processes or sockets, so this suite is independent of the serialized `TitanPMTests`.

// MARK: - Helpers

private func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
    try WireEncoder().encode(value)
}

private func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
    try WireDecoder().decode(T.self, from: bytes)
}

private func roundTrip<T: Codable>(_ value: T) throws -> T {
    try decode(T.self, encode(value))
}

private func expectRoundTrip<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let decoded = try roundTrip(value)
    #expect(decoded == value, sourceLocation: sourceLocation)
}

/// The LEB128 encoding the format uses for headers and key lengths.
private func varint(_ value: UInt64) -> [UInt8] {
    var writer = ByteWriter()
    writer.writeVarint(value)
    return writer.take()
}

/// A value's encoding: header (payload length + 1) and payload.
private func slot(_ payload: [UInt8]) -> [UInt8] {
    varint(UInt64(payload.count) + 1) + payload
}

/// A keyed field: key (header + UTF-8) and value bytes.
private func field(_ key: String, _ value: [UInt8]) -> [UInt8] {
    slot(Array(key.utf8)) + value
}

/// Throws instead of `#expect` inside `init(from:)`: those also run on fuzzed bytes.
private func check(_ condition: Bool, _ why: String) throws {
    guard condition else { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: why)) }
}

private func debugDescription(of error: any Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let context): context.debugDescription
    case DecodingError.keyNotFound(_, let context): context.debugDescription
    case DecodingError.typeMismatch(_, let context): context.debugDescription
    case DecodingError.valueNotFound(_, let context): context.debugDescription
    case EncodingError.invalidValue(_, let context): context.debugDescription
    default: "\(error)"
    }
}

// MARK: - Test types

private struct AllWidths: Codable, Equatable {
    var i: Int, i8: Int8, i16: Int16, i32: Int32, i64: Int64
    var u: UInt, u8: UInt8, u16: UInt16, u32: UInt32, u64: UInt64
    var f: Float, d: Double, b: Bool, s: String

    static let min = AllWidths(i: .min, i8: .min, i16: .min, i32: .min, i64: .min, u: .min, u8: .min, u16: .min, u32: .min, u64: .min, f: -.greatestFiniteMagnitude, d: -.greatestFiniteMagnitude, b: false, s: "")
    static let max = AllWidths(i: .max, i8: .max, i16: .max, i32: .max, i64: .max, u: .max, u8: .max, u16: .max, u32: .max, u64: .max, f: .greatestFiniteMagnitude, d: .greatestFiniteMagnitude, b: true, s: "max")
    static let zero = AllWidths(i: 0, i8: 0, i16: 0, i32: 0, i64: 0, u: 0, u8: 0, u16: 0, u32: 0, u64: 0, f: 0, d: 0, b: false, s: "0")
}

/// Same fields as ``AllWidths``, written through an unkeyed container with the concrete
/// (non-generic) overloads, and read back in the same order.
private struct AllWidthsUnkeyed: Codable, Equatable {
    var v: AllWidths

    init(_ v: AllWidths) { self.v = v }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(v.i); try c.encode(v.i8); try c.encode(v.i16); try c.encode(v.i32); try c.encode(v.i64)
        try c.encode(v.u); try c.encode(v.u8); try c.encode(v.u16); try c.encode(v.u32); try c.encode(v.u64)
        try c.encode(v.f); try c.encode(v.d); try c.encode(v.b); try c.encode(v.s)
        try c.encodeNil()
    }

    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        try check(c.count == 15, "count")
        v = AllWidths(
            i: try c.decode(Int.self), i8: try c.decode(Int8.self), i16: try c.decode(Int16.self),
            i32: try c.decode(Int32.self), i64: try c.decode(Int64.self),
            u: try c.decode(UInt.self), u8: try c.decode(UInt8.self), u16: try c.decode(UInt16.self),
            u32: try c.decode(UInt32.self), u64: try c.decode(UInt64.self),
            f: try c.decode(Float.self), d: try c.decode(Double.self), b: try c.decode(Bool.self),
            s: try c.decode(String.self)
        )
        try check(try c.decodeNil(), "nil")
        try check(c.isAtEnd, "at end")
    }
}

/// One primitive written through a single-value container with the concrete overload
/// for its type (not the generic `encode<T>`), and read back the same way.
private struct SingleValue<T: Codable & Equatable>: Codable, Equatable {
    var value: T

    init(_ value: T) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch value {
        case let v as Int: try c.encode(v)
        case let v as Int8: try c.encode(v)
        case let v as Int16: try c.encode(v)
        case let v as Int32: try c.encode(v)
        case let v as Int64: try c.encode(v)
        case let v as UInt: try c.encode(v)
        case let v as UInt8: try c.encode(v)
        case let v as UInt16: try c.encode(v)
        case let v as UInt32: try c.encode(v)
        case let v as UInt64: try c.encode(v)
        case let v as Float: try c.encode(v)
        case let v as Double: try c.encode(v)
        case let v as Bool: try c.encode(v)
        case let v as String: try c.encode(v)
        default: try c.encode(value)
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let v: Any
        switch T.self {
        case is Int.Type: v = try c.decode(Int.self)
        case is Int8.Type: v = try c.decode(Int8.self)
        case is Int16.Type: v = try c.decode(Int16.self)
        case is Int32.Type: v = try c.decode(Int32.self)
        case is Int64.Type: v = try c.decode(Int64.self)
        case is UInt.Type: v = try c.decode(UInt.self)
        case is UInt8.Type: v = try c.decode(UInt8.self)
        case is UInt16.Type: v = try c.decode(UInt16.self)
        case is UInt32.Type: v = try c.decode(UInt32.self)
        case is UInt64.Type: v = try c.decode(UInt64.self)
        case is Float.Type: v = try c.decode(Float.self)
        case is Double.Type: v = try c.decode(Double.self)
        case is Bool.Type: v = try c.decode(Bool.self)
        case is String.Type: v = try c.decode(String.self)
        default: v = try c.decode(T.self)
        }
        value = v as! T
    }
}

private enum Status: String, Codable, Equatable {
    case running, stopped
}

private enum Shape: Codable, Equatable {
    case empty
    case circle(radius: Double)
    case rect(w: Int, h: Int)
    case labeled(String, tags: [String]?)
    case nested(Inner?)
    case status(Status)
}

private struct Inner: Codable, Equatable {
    var id: UInt32
    var name: String?
    var scores: [Int]
    var flags: [Bool]
}

private struct Outer: Codable, Equatable {
    var title: String
    var inner: Inner
    var maybeInner: Inner?
    var missingInner: Inner?
    var shapes: [Shape]
    var lookup: [String: Inner]
    var matrix: [[Double]]
    var blob: Data
    var sparse: [Int?]
    var status: Status
    var doubleOptional: Int??
    var emptyList: [String]
    var unicode: String

    static let sample = Outer(
        title: "process table",
        inner: Inner(id: 7, name: "worker", scores: [1, -2, 300, .max], flags: [true, false, true]),
        maybeInner: Inner(id: .max, name: nil, scores: [], flags: []),
        missingInner: nil,
        shapes: [
            .empty, .circle(radius: 2.5), .rect(w: -3, h: 40_000),
            .labeled("tag", tags: ["a", "", "ü"]), .labeled("", tags: nil),
            .nested(Inner(id: 1, name: "n", scores: [0], flags: [false])), .nested(nil),
            .status(.stopped),
        ],
        lookup: ["one": Inner(id: 1, name: nil, scores: [1], flags: []), "": Inner(id: 0, name: "", scores: [], flags: [true])],
        matrix: [[1.5, -0.0], [], [.infinity]],
        blob: Data([0, 1, 2, 255, 0x80]),
        sparse: [1, nil, 0, nil, -1],
        status: .running,
        doubleOptional: .some(.some(0)),
        emptyList: [],
        unicode: "héllo → 世界 👩‍👩‍👧‍👦 🇸🇪"
    )
}

/// A record without dictionaries (so its encoding is deterministic) for re-encode checks.
private struct Record: Codable, Equatable {
    var id: Int
    var name: String
    var tags: [String]
    var values: [Int32]
    var child: Inner?
    var shape: Shape
    var flag: Bool

    static let sample = Record(
        id: 123_456, name: "record", tags: ["x", "yy", "zzz"], values: [1, -1, .max, .min],
        child: Inner(id: 9, name: "c", scores: [5, 6], flags: [true]), shape: .rect(w: 2, h: 3), flag: true
    )
}

private indirect enum Tree: Codable, Equatable {
    case leaf(Int)
    case node(Tree, Tree)
}

/// A recursive type: the depth of its nesting is chosen by the data.
private struct Node: Codable, Equatable {
    var children: [Node]

    static func chain(_ levels: Int) -> Node {
        var node = Node(children: [])
        for _ in 1..<levels { node = Node(children: [node]) }
        return node
    }
}

private class Animal: Codable {
    var name: String
    var legs: Int

    init(name: String, legs: Int) {
        self.name = name
        self.legs = legs
    }
}

/// A subclass coding its superclass with `superEncoder()` / `superDecoder()`, the pattern
/// Apple documents; its own `CodingKeys` have no "super" case.
private final class Dog: Animal, Equatable {
    var breed: String
    var tricks: [String]

    private enum CodingKeys: String, CodingKey {
        case breed, tricks
    }

    init(name: String, legs: Int, breed: String, tricks: [String]) {
        self.breed = breed
        self.tricks = tricks
        super.init(name: name, legs: legs)
    }

    required init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        breed = try c.decode(String.self, forKey: .breed)
        tricks = try c.decode([String].self, forKey: .tricks)
        try super.init(from: c.superDecoder())
    }

    override func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(breed, forKey: .breed)
        try super.encode(to: c.superEncoder())
        try c.encode(tricks, forKey: .tricks)
    }

    static func == (a: Dog, b: Dog) -> Bool {
        a.name == b.name && a.legs == b.legs && a.breed == b.breed && a.tricks == b.tricks
    }
}

/// A subclass coding its superclass under a key of its own (`superEncoder(forKey:)`).
private final class Cat: Animal, Equatable {
    var lives: Int

    private enum CodingKeys: String, CodingKey {
        case lives, base
    }

    init(name: String, legs: Int, lives: Int) {
        self.lives = lives
        super.init(name: name, legs: legs)
    }

    required init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lives = try c.decode(Int.self, forKey: .lives)
        try super.init(from: c.superDecoder(forKey: .base))
    }

    override func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try super.encode(to: c.superEncoder(forKey: .base))
        try c.encode(lives, forKey: .lives)
    }

    static func == (a: Cat, b: Cat) -> Bool {
        a.name == b.name && a.legs == b.legs && a.lives == b.lives
    }
}

/// A value that is a Double on the wire (single-value container).
private struct Celsius: Codable, Equatable {
    var degrees: Double

    init(_ degrees: Double) { self.degrees = degrees }
    init(from decoder: any Decoder) throws { degrees = try decoder.singleValueContainer().decode(Double.self) }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(degrees)
    }
}

/// A struct that is its inner struct on the wire (single-value container around a composite).
private struct Wrapped: Codable, Equatable {
    var inner: Inner

    init(from decoder: any Decoder) throws { inner = try decoder.singleValueContainer().decode(Inner.self) }
    init(_ inner: Inner) { self.inner = inner }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(inner)
    }
}

/// Hand-written coding with nested keyed and unkeyed containers at several depths, empty
/// nested containers, single-value wrappers, and decoding keys in a different order than
/// they were written.
private struct Custom: Codable, Equatable {
    var id: Int
    var x: Int
    var y: Double
    var extras: [Int]
    var extraName: String
    var tags: [String]
    var matrix: [[Int]]
    var temperature: Celsius
    var wrapped: Wrapped
    var note: String?
    var emptyNested: Bool

    private enum K: String, CodingKey {
        case id, point, tags, matrix, temperature, wrapped, note, empty, trailing
    }

    private enum PK: String, CodingKey {
        case x, y, extra, named
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: K.self)
        try c.encode(id, forKey: .id)
        var point = c.nestedContainer(keyedBy: PK.self, forKey: .point)
        try point.encode(x, forKey: .x)
        var extra = point.nestedUnkeyedContainer(forKey: .extra)
        for e in extras { try extra.encode(e) }
        var named = extra.nestedContainer(keyedBy: PK.self)
        try named.encode(extraName, forKey: .named)
        // Back to `point` after two deeper containers: they are closed first.
        try point.encode(y, forKey: .y)
        var tagList = c.nestedUnkeyedContainer(forKey: .tags)
        for tag in tags { try tagList.encode(tag) }
        var rows = c.nestedUnkeyedContainer(forKey: .matrix)
        for row in matrix {
            var r = rows.nestedUnkeyedContainer()
            for v in row { try r.encode(v) }
        }
        if emptyNested { _ = c.nestedContainer(keyedBy: PK.self, forKey: .empty) }
        try c.encode(temperature, forKey: .temperature)
        try c.encode(wrapped, forKey: .wrapped)
        try c.encodeIfPresent(note, forKey: .note)
        // A nested container left empty as the last thing written.
        _ = c.nestedUnkeyedContainer(forKey: .trailing)
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        // Reverse order of writing: keys are found in any order.
        let trailing = try c.nestedUnkeyedContainer(forKey: .trailing)
        try check(trailing.isAtEnd && trailing.count == 0, "trailing")
        note = try c.decodeIfPresent(String.self, forKey: .note)
        wrapped = try c.decode(Wrapped.self, forKey: .wrapped)
        temperature = try c.decode(Celsius.self, forKey: .temperature)
        emptyNested = c.contains(.empty)
        if emptyNested {
            let empty = try c.nestedContainer(keyedBy: PK.self, forKey: .empty)
            try check(empty.allKeys.isEmpty, "empty")
        }
        var rows = try c.nestedUnkeyedContainer(forKey: .matrix)
        var m: [[Int]] = []
        while !rows.isAtEnd {
            var r = try rows.nestedUnkeyedContainer()
            var row: [Int] = []
            while !r.isAtEnd { row.append(try r.decode(Int.self)) }
            m.append(row)
        }
        matrix = m
        var tagList = try c.nestedUnkeyedContainer(forKey: .tags)
        var t: [String] = []
        while !tagList.isAtEnd { t.append(try tagList.decode(String.self)) }
        tags = t
        let point = try c.nestedContainer(keyedBy: PK.self, forKey: .point)
        y = try point.decode(Double.self, forKey: .y)
        x = try point.decode(Int.self, forKey: .x)
        var extra = try point.nestedUnkeyedContainer(forKey: .extra)
        var e: [Int] = []
        try check((extra.count ?? 0) >= 1, "extra count")
        for _ in 0..<(extra.count! - 1) { e.append(try extra.decode(Int.self)) }
        extras = e
        extraName = try extra.nestedContainer(keyedBy: PK.self).decode(String.self, forKey: .named)
        try check(extra.isAtEnd, "extra at end")
        id = try c.decode(Int.self, forKey: .id)
    }

    init(id: Int, x: Int, y: Double, extras: [Int], extraName: String, tags: [String], matrix: [[Int]], temperature: Celsius, wrapped: Wrapped, note: String?, emptyNested: Bool) {
        (self.id, self.x, self.y, self.extras, self.extraName, self.tags) = (id, x, y, extras, extraName, tags)
        (self.matrix, self.temperature, self.wrapped, self.note, self.emptyNested) = (matrix, temperature, wrapped, note, emptyNested)
    }
}

private struct P: Codable, Equatable {
    var x: Int
    var y: Int
}

private struct OnlyX: Codable, Equatable {
    var x: Int
}

private enum ShapeV2: Codable {
    case circle(radius: Double)
    case triangle(a: Double, b: Double, c: Double)
}

private enum StatusV2: String, Codable {
    case running, stopped, paused
}

// MARK: - Tests

@Suite struct WireCodecEdgeTests {

    // MARK: Round trips: primitives

    private func checkIntegerBounds<T: FixedWidthInteger & Codable & Sendable>(_: T.Type, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var values: [T] = [.min, .max, 0, 1, .max - 1, .min + 1]
        if T.isSigned { values += [-1, -128, 127, 128, -129].map { T(truncatingIfNeeded: $0) } }
        values += [T(truncatingIfNeeded: 255), T(truncatingIfNeeded: 256), T(truncatingIfNeeded: 0x7FFF), T(truncatingIfNeeded: 0x8000)]
        for value in values {
            #expect(try roundTrip(value) == value, "\(T.self) \(value)", sourceLocation: sourceLocation)
            #expect(try roundTrip(SingleValue(value)).value == value, "single \(T.self) \(value)", sourceLocation: sourceLocation)
            #expect(try roundTrip([value, value]) == [value, value], "packed \(T.self) \(value)", sourceLocation: sourceLocation)
            #expect(try roundTrip([Optional(value), nil]) == [value, nil], "[\(T.self)?] \(value)", sourceLocation: sourceLocation)
        }
        // Integers take the fewest bytes: 0 is a bare header, the extremes need the full width.
        #expect(try encode(T(0)) == [1], sourceLocation: sourceLocation)
        #expect(try encode(T.max).count == 1 + MemoryLayout<T>.size, sourceLocation: sourceLocation)
        #expect(try encode(T.min).count == (T.isSigned ? 1 + MemoryLayout<T>.size : 1), sourceLocation: sourceLocation)
    }

    @Test func integersOfEveryWidthRoundTripAtTheirBounds() throws {
        try checkIntegerBounds(Int.self)
        try checkIntegerBounds(Int8.self)
        try checkIntegerBounds(Int16.self)
        try checkIntegerBounds(Int32.self)
        try checkIntegerBounds(Int64.self)
        try checkIntegerBounds(UInt.self)
        try checkIntegerBounds(UInt8.self)
        try checkIntegerBounds(UInt16.self)
        try checkIntegerBounds(UInt32.self)
        try checkIntegerBounds(UInt64.self)

        #expect(try encode(1) == [2, 1])
        #expect(try encode(-1) == [2, 0xFF])
        #expect(try encode(128) == [3, 0x80, 0x00])
        #expect(try encode(-129) == [3, 0x7F, 0xFF])
        #expect(try encode(UInt8(255)) == [2, 0xFF])
    }

    @Test func allWidthsThroughKeyedAndUnkeyedContainers() throws {
        for value in [AllWidths.min, .max, .zero] {
            try expectRoundTrip(value)
            try expectRoundTrip(AllWidthsUnkeyed(value))
            try expectRoundTrip([value, value])
        }
    }

    @Test func floatingPointSpecialValuesKeepTheirBits() throws {
        let doubles: [Double] = [
            0, -0.0, 1.5, -.pi, .infinity, -.infinity, .nan, -.nan, .signalingNaN,
            Double(nan: 0x1234, signaling: false), .leastNonzeroMagnitude, .leastNormalMagnitude,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .ulpOfOne,
        ]
        for d in doubles {
            let plain = try roundTrip(d)
            #expect(plain.bitPattern == d.bitPattern, "\(d)")
            #expect(try roundTrip(SingleValue(d)).value.bitPattern == d.bitPattern, "single \(d)")
            #expect(try encode(d).count == 9)
        }
        #expect(try roundTrip(Double.nan).isNaN)
        #expect(try roundTrip(-0.0 as Double).sign == .minus)
        #expect(try roundTrip(-0.0 as Double) == 0)
        #expect(try roundTrip(Double.infinity) == .infinity)
        #expect(try roundTrip(-Double.infinity) == -.infinity)
        // Packed arrays carry the bits too.
        let packed = try roundTrip(doubles)
        #expect(packed.map(\.bitPattern) == doubles.map(\.bitPattern))

        let floats: [Float] = [0, -0.0, 1.25, .infinity, -.infinity, .nan, .signalingNaN, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        for f in floats {
            #expect(try roundTrip(f).bitPattern == f.bitPattern, "\(f)")
            #expect(try roundTrip(SingleValue(f)).value.bitPattern == f.bitPattern, "single \(f)")
            #expect(try encode(f).count == 5)
        }
        #expect(try roundTrip(Float.nan).isNaN)
        #expect(try roundTrip(-0.0 as Float).sign == .minus)
        #expect(try roundTrip(floats).map(\.bitPattern) == floats.map(\.bitPattern))

        let celsius = try roundTrip(Celsius(.nan))
        #expect(celsius.degrees.isNaN)
        try expectRoundTrip(Celsius(-273.15))
    }

    @Test func boolsRoundTrip() throws {
        #expect(try roundTrip(true) == true)
        #expect(try roundTrip(false) == false)
        #expect(try encode(true) == [2, 1])
        #expect(try encode(false) == [2, 0])
        #expect(try roundTrip(SingleValue(true)).value == true)
        #expect(try roundTrip(SingleValue(false)).value == false)
        try expectRoundTrip([true, false, true])
        try expectRoundTrip([Bool?.none, true, false])
    }

    @Test func stringsRoundTrip() throws {
        let strings = [
            "", "a", "with\0nul", "tab\tnew\nline", "héllo wörld", "日本語テキスト", "👨‍👩‍👧‍👦🇸🇪🏳️‍🌈",
            "e\u{301}", String(repeating: "x", count: 10_000), String(repeating: "ü日👍", count: 10_000 / 3),
        ]
        for s in strings {
            let decoded = try roundTrip(s)
            #expect(decoded == s)
            // Canonical equivalence is not enough: the exact scalars come back.
            #expect(Array(decoded.unicodeScalars) == Array(s.unicodeScalars))
            #expect(try roundTrip(SingleValue(s)).value == s)
            #expect(try encode(s) == varint(UInt64(s.utf8.count) + 1) + Array(s.utf8))
        }
        #expect(try encode("") == [1])
        try expectRoundTrip(strings)
        try expectRoundTrip(Set(strings))
        try expectRoundTrip(Set<String>())
    }

    // MARK: Round trips: optionals and collections

    @Test func optionalsRoundTrip() throws {
        #expect(try roundTrip(Int?.none) == nil)
        #expect(try roundTrip(Int?.some(0)) == 0)
        #expect(try roundTrip(Int?.some(-5)) == -5)
        #expect(try roundTrip(String?.none) == nil)
        #expect(try roundTrip(String?.some("")) == "")
        #expect(try roundTrip(Inner?.none) == nil)
        let inner = Inner(id: 3, name: nil, scores: [], flags: [])
        #expect(try roundTrip(Inner?.some(inner)) == inner)
        #expect(try roundTrip([Int]?.some([])) == [])
        #expect(try roundTrip([Int]?.none) == nil)

        // nil is a zero header; 0 is a one-byte header with no payload: they stay distinct.
        #expect(try encode(Int?.none) == [0])
        #expect(try encode(Int?.some(0)) == [1])

        // Nested optionals: the format has a single nil marker, so `.some(.none)` comes back
        // as `.none` (as with JSONEncoder). `.some(.some(x))` survives, even for x == 0.
        let someNone: Int?? = .some(.none)
        #expect(try encode(someNone) == [0])
        let decodedSomeNone = try roundTrip(someNone)
        #expect(decodedSomeNone == .none)
        #expect(try roundTrip(Int??.none) == .none)
        #expect(try roundTrip(Int??.some(.some(0))) == .some(.some(0)))
        #expect(try roundTrip(Int??.some(.some(7))) == .some(.some(7)))
        #expect(try roundTrip(String??.some(.some(""))) == .some(.some("")))

        // Optionals through an unkeyed container, incl. nil at the ends.
        try expectRoundTrip([Int?]([nil, 1, nil, nil, 0, .min, nil]))
        try expectRoundTrip([Int?]([nil]))
        try expectRoundTrip([String?]([nil, "", "a", nil]))
        try expectRoundTrip([Inner?]([nil, inner, nil]))
        try expectRoundTrip([Int??]([.some(.some(1)), .none, .some(.some(0))]))
    }

    @Test func arraysRoundTrip() throws {
        try expectRoundTrip([Int]())
        try expectRoundTrip([String]())
        try expectRoundTrip([[Int]]())
        try expectRoundTrip([Inner]())
        try expectRoundTrip([1, -1, .max, .min, 0])
        try expectRoundTrip(["a", "", "ü", String(repeating: "z", count: 300)])
        try expectRoundTrip([[1, 2], [], [3], [.min, .max]])
        try expectRoundTrip([[Int]]([[]]))
        try expectRoundTrip([[[String]]]([[["a"], []], [], [[""]]]))
        try expectRoundTrip([Int8](arrayLiteral: -128, 0, 127))
        try expectRoundTrip([UInt16](arrayLiteral: 0, 1, .max))
        try expectRoundTrip(ContiguousArray<Int32>([1, -2, .max]))
        try expectRoundTrip((0..<1000).map { Inner(id: UInt32($0), name: $0 % 3 == 0 ? nil : "n\($0)", scores: [$0], flags: [$0 % 2 == 0]) })

        var rng = SplitMix64(seed: 42)
        let big = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let decoded = try roundTrip(big)
        #expect(decoded == big)
        let bigInts = (0..<10_000).map { _ in Int.random(in: .min ... .max, using: &rng) }
        try expectRoundTrip(bigInts)
    }

    @Test func dictionariesRoundTrip() throws {
        try expectRoundTrip([String: Int]())
        try expectRoundTrip(["a": 1, "b": -2, "": 0, "ü👍": .max, "long key \(String(repeating: "k", count: 200))": .min])
        try expectRoundTrip([Int: String]())
        try expectRoundTrip([1: "one", -1: "minus one", 0: "", .max: "max", .min: "min"])
        try expectRoundTrip(["xs": [1, 2, 3], "none": []])
        try expectRoundTrip(["inner": ["a": 1], "empty": [:]] as [String: [String: Int]])
        try expectRoundTrip([Status.running.rawValue: Inner(id: 1, name: nil, scores: [], flags: [])])
        var rng = SplitMix64(seed: 7)
        var large: [String: Int] = [:]
        for i in 0..<2_000 { large["key\(i)"] = Int.random(in: -1000...1000, using: &rng) }
        try expectRoundTrip(large)
    }

    @Test func dataRoundTripsAsRawBytes() throws {
        try expectRoundTrip(Data())
        try expectRoundTrip(Data([0, 1, 2, 3, 255]))
        var rng = SplitMix64(seed: 9)
        let bytes = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let data = Data(bytes)
        let encoded = try encode(data)
        #expect(Array(encoded.suffix(bytes.count)) == bytes)
        #expect(try decode(Data.self, encoded) == data)
        // Data and [UInt8] share one encoding.
        #expect(encoded == (try encode(bytes)))
        #expect(try decode([UInt8].self, encoded) == bytes)
        try expectRoundTrip(Data?.some(Data()))
        #expect(try roundTrip(Data?.none) == nil)
    }

    // MARK: Round trips: composite types

    @Test func nestedStructsWithOptionalsArraysAndEnumsRoundTrip() throws {
        try expectRoundTrip(Outer.sample)
        var other = Outer.sample
        other.maybeInner = nil
        other.doubleOptional = .none
        other.shapes = []
        other.lookup = [:]
        other.blob = Data()
        try expectRoundTrip(other)
        try expectRoundTrip([Outer.sample, other])
        try expectRoundTrip(Record.sample)
        for shape in Outer.sample.shapes { try expectRoundTrip(shape) }
        try expectRoundTrip(Status.stopped)
        try expectRoundTrip(Tree.node(.node(.leaf(1), .leaf(-2)), .leaf(.max)))
        try expectRoundTrip(Node.chain(50))
        try expectRoundTrip(Wrapped(Inner(id: 2, name: "w", scores: [3], flags: [])))
        try expectRoundTrip(SingleValue(Inner(id: 4, name: nil, scores: [], flags: [true])))
        try expectRoundTrip(UUID())
        try expectRoundTrip(Date(timeIntervalSince1970: 1_700_000_000.25))
    }

    @Test func largeCompositesGetMultiByteHeaders() throws {
        // Payloads over 127 bytes move the reserved one-byte header out to fit the length,
        // including inside nested containers and after bytes already in the writer.
        var custom = Custom.sample
        custom.tags = (0..<500).map { "tag \($0)" }
        custom.extras = Array(0..<300)
        custom.matrix = (0..<40).map { Array(0..<$0) }
        try expectRoundTrip(custom)

        var writer = ByteWriter()
        writer.writeBytes([0xAA, 0xBB])
        try WireEncoder().encode(Outer.sample, into: &writer)
        try WireEncoder().encode(custom, into: &writer)
        try WireEncoder().encode("tail", into: &writer)
        var reader = ByteReader(writer.take())
        try reader.skip(2)
        #expect(try WireDecoder().decode(Outer.self, from: &reader) == Outer.sample)
        #expect(try WireDecoder().decode(Custom.self, from: &reader) == custom)
        #expect(try WireDecoder().decode(String.self, from: &reader) == "tail")
        #expect(reader.isAtEnd)
    }

    @Test func classHierarchyThroughSuperEncoder() throws {
        let dog = Dog(name: "Rex", legs: 4, breed: "collie", tricks: ["sit", "roll"])
        let decodedDog = try roundTrip(dog)
        #expect(decodedDog == dog)
        try expectRoundTrip([dog, Dog(name: "", legs: 3, breed: "", tricks: [])])

        let cat = Cat(name: "Tom", legs: 4, lives: 9)
        #expect(try roundTrip(cat) == cat)

        // The superclass travels as a nested value under the key "super".
        struct SuperView: Decodable {
            struct Base: Decodable { var name: String; var legs: Int }
            var breed: String
            var `super`: Base
        }
        let view = try decode(SuperView.self, encode(dog))
        #expect(view.breed == "collie")
        #expect(view.super.name == "Rex" && view.super.legs == 4)
    }

    @Test func customCodingWithNestedAndSingleValueContainers() throws {
        try expectRoundTrip(Custom.sample)
        var variant = Custom.sample
        variant.note = nil
        variant.emptyNested = false
        variant.extras = []
        variant.tags = []
        variant.matrix = []
        try expectRoundTrip(variant)
        var emptyRows = Custom.sample
        emptyRows.matrix = [[], [], [1], []]
        try expectRoundTrip(emptyRows)
    }

    // MARK: Compactness

    @Test func smallStructIsMuchSmallerThanJSON() throws {
        let p = P(x: 1, y: 2)
        let wire = try encode(p)
        let json = try JSONEncoder().encode(p)
        // header, then ("x", 1) and ("y", 2), each key and value with a one-byte header.
        #expect(wire == [9, 2, UInt8(ascii: "x"), 2, 1, 2, UInt8(ascii: "y"), 2, 2])
        #expect(wire.count * 10 <= json.count * 7, "wire \(wire.count) bytes, JSON \(json.count)")
        #expect(try decode(P.self, wire) == p)

        let many = (0..<100).map { P(x: $0 % 50, y: -($0 % 60)) }
        let manyWire = try encode(many)
        let manyJSON = try JSONEncoder().encode(many)
        #expect(manyWire.count * 10 <= manyJSON.count * 7, "wire \(manyWire.count) bytes, JSON \(manyJSON.count)")
        #expect(try decode([P].self, manyWire) == many)
    }

    @Test func byteArraysCarryAlmostNoOverhead() throws {
        let bytes = [UInt8](repeating: 0xAB, count: 64 * 1024)
        let encoded = try encode(bytes)
        #expect(encoded.count <= bytes.count + 16)
        #expect(encoded.count == bytes.count + 3) // varint(65_537) is three bytes
        #expect(Array(encoded.dropFirst(3)) == bytes)

        // Packed numbers: 8 bytes per Int, not a header per element.
        let ints = Array(0..<1000)
        #expect(try encode(ints).count <= 8 * ints.count + 16)

        // And inside a struct: one key and one header on top of the bytes.
        struct Blob: Codable { var b: [UInt8] }
        #expect(try encode(Blob(b: bytes)).count <= bytes.count + 16)
    }

    // MARK: Hostile input

    @Test func everyTruncatedPrefixThrows() throws {
        for (name, bytes) in [
            ("Outer", try encode(Outer.sample)), ("Record", try encode(Record.sample)),
            ("Custom", try encode(Custom.sample)), ("Dog", try encode(Dog(name: "a", legs: 1, breed: "b", tricks: ["c"]))),
        ] {
            #expect(bytes.count > 20)
            for length in 0..<bytes.count {
                let prefix = Array(bytes[..<length])
                #expect(throws: DecodingError.self, "\(name) prefix of \(length)/\(bytes.count)") {
                    switch name {
                    case "Outer": _ = try decode(Outer.self, prefix)
                    case "Record": _ = try decode(Record.self, prefix)
                    case "Custom": _ = try decode(Custom.self, prefix)
                    default: _ = try decode(Dog.self, prefix)
                    }
                }
            }
            // Trailing bytes are refused too.
            #expect(throws: DecodingError.self) { _ = try decode(Outer.self, bytes + [0]) }
        }
    }

    @Test func truncatedInnerValuesThrow() throws {
        // The outer header is consistent but an inner header claims more than its container holds.
        let innerX = field("x", [5, 1, 2, 3, 4]) // value header says 4 bytes, 4 follow
        #expect(try decode(OnlyX.self, slot(innerX)) == OnlyX(x: 0x0403_0201))
        let short = field("x", [6, 1, 2, 3, 4]) // claims 5 bytes, 4 follow
        #expect(throws: DecodingError.self) { _ = try decode(OnlyX.self, slot(short)) }
        // A key with no value after it.
        #expect(throws: DecodingError.self) { _ = try decode(OnlyX.self, slot(slot(Array("x".utf8)))) }
        // An unkeyed element running past the array's end.
        #expect(throws: DecodingError.self) { _ = try decode([String].self, slot(slot([0x61]) + [5, 0x62])) }
        // A nil key.
        #expect(throws: DecodingError.self) { _ = try decode(OnlyX.self, slot([0, 2, 1])) }
    }

    @Test func randomMutationsNeverTrap() throws {
        var rng = SplitMix64(seed: 0xC0DEC)
        let seeds: [[UInt8]] = [try encode(Outer.sample), try encode(Record.sample), try encode(Custom.sample)]
        var threw = 0
        var decoded = 0
        for iteration in 0..<5_000 {
            var bytes = seeds[iteration % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 2: bytes[i] = [0x00, 0x01, 0x7F, 0x80, 0xFF].randomElement(using: &rng)!
                case 3: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                default: if bytes.count > 1 { bytes.remove(at: i) }
                }
            }
            // Decode the mutated bytes as each of the types: throwing is fine, trapping is not.
            func attempt<T: Decodable>(_ type: T.Type) {
                do { _ = try decode(T.self, bytes); decoded += 1 } catch { threw += 1 }
            }
            attempt(Outer.self)
            attempt(Record.self)
            attempt(Custom.self)
            attempt(Shape.self)
            attempt([String: Inner].self)
            attempt([Int?].self)
            attempt(Tree.self)

            // A value decoded from garbage is a normal value: it encodes, and its encoding is
            // stable (Record has no dictionaries, so its encoding is deterministic).
            if let record = try? decode(Record.self, bytes) {
                let once = try encode(record)
                let again = try encode(try decode(Record.self, once))
                #expect(once == again, "iteration \(iteration)")
            }
        }
        #expect(threw > 0)
        #expect(decoded > 0)
    }

    @Test func randomGarbageNeverTraps() {
        var rng = SplitMix64(seed: 12345)
        var threw = 0
        for _ in 0..<5_000 {
            let count = Int.random(in: 0...64, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Often start with a plausible header so the decoders get past the first check.
            if !bytes.isEmpty && Bool.random(using: &rng) { bytes[0] = UInt8(min(bytes.count, 127)) }
            for attempt in [
                { _ = try decode(Outer.self, bytes) }, { _ = try decode([String].self, bytes) },
                { _ = try decode(Shape.self, bytes) }, { _ = try decode(Node.self, bytes) },
                { _ = try decode([Int: String].self, bytes) }, { _ = try decode(Custom.self, bytes) },
                { _ = try decode(Set<String>.self, bytes) }, { _ = try decode(Dog.self, bytes) },
            ] as [() throws -> Void] {
                do { try attempt() } catch { threw += 1 }
            }
        }
        #expect(threw > 0)
    }

    @Test func hugeLengthPrefixThrowsQuickly() throws {
        let huge = varint(1 << 62)
        let clock = ContinuousClock()
        let started = clock.now
        for bytes in [huge, huge + [1, 2, 3], huge + [UInt8](repeating: 0, count: 100)] {
            #expect(throws: DecodingError.self) { _ = try decode([UInt8].self, bytes) }
            #expect(throws: DecodingError.self) { _ = try decode(Data.self, bytes) }
            #expect(throws: DecodingError.self) { _ = try decode(String.self, bytes) }
            #expect(throws: DecodingError.self) { _ = try decode([Int].self, bytes) }
            #expect(throws: DecodingError.self) { _ = try decode([String].self, bytes) }
            #expect(throws: DecodingError.self) { _ = try decode(Outer.self, bytes) }
            #expect(throws: DecodingError.self) { _ = try decode(Set<String>.self, bytes) }
        }
        // The same inside a container: a field, an array element, a key.
        let hugeField = slot(field("blob", huge + [1, 2]))
        #expect(throws: DecodingError.self) { _ = try decode([String: [UInt8]].self, hugeField) }
        let hugeElement = slot(slot([1]) + huge + [0])
        #expect(throws: DecodingError.self) { _ = try decode([[UInt8]].self, hugeElement) }
        let hugeKey = slot(huge + [0x61, 2, 1])
        #expect(throws: DecodingError.self) { _ = try decode(OnlyX.self, hugeKey) }

        // The maximum header and an over-long one.
        let maxHeader = varint(.max)
        #expect(maxHeader.count == 10)
        #expect(throws: DecodingError.self) { _ = try decode(String.self, maxHeader + [0]) }
        let overlong = [UInt8](repeating: 0xFF, count: 11) + [0x01]
        do {
            _ = try decode([UInt8].self, overlong)
            Issue.record("an 11-byte header decoded")
        } catch {
            #expect(debugDescription(of: error).contains("longer than 10 bytes"))
        }
        do {
            _ = try decode(Data.self, huge + [1])
            Issue.record("a 2^62-byte value decoded")
        } catch {
            #expect(debugDescription(of: error).contains("4611686018427387903 bytes with only 1 left"), "\(error)")
        }
        #expect(clock.now - started < .seconds(2))
    }

    @Test func byteReaderRefusesBadLengthsAndVarints() throws {
        var reader = ByteReader(varint(1 << 62) + [1, 2, 3])
        #expect(throws: WireError.truncated) { _ = try reader.readLengthPrefixed() }
        reader = ByteReader(varint(1 << 62) + [1, 2, 3])
        #expect(throws: WireError.truncated) { _ = try reader.readString() }
        reader = ByteReader([UInt8](repeating: 0x80, count: 10) + [0])
        #expect(throws: WireError.self) { _ = try reader.readVarint() }
        reader = ByteReader([UInt8](repeating: 0xFF, count: 9) + [0x02]) // bit 64 set
        #expect(throws: WireError.malformed("varint overflows 64 bits")) { _ = try reader.readVarint() }
        reader = ByteReader([UInt8](repeating: 0xFF, count: 9) + [0x01])
        #expect(try reader.readVarint() == .max)
        reader = ByteReader([0x80])
        #expect(throws: WireError.truncated) { _ = try reader.readVarint() }
        reader = ByteReader([1, 2, 3])
        #expect(throws: WireError.truncated) { _ = try reader.readInteger(UInt32.self) }
        #expect(throws: WireError.truncated) { _ = try reader.readBytes(count: -1) }
        #expect(throws: WireError.truncated) { try reader.skip(4) }
        #expect(throws: WireError.truncated) { _ = try reader.subReader(count: 4) }
        #expect(reader.offset == 0)
        #expect(try reader.readInteger(UInt16.self) == 0x0201)
        #expect(try reader.readByte() == 3)
        #expect(throws: WireError.truncated) { _ = try reader.readByte() }

        // Writer and reader agree.
        var writer = ByteWriter()
        for v: UInt64 in [0, 1, 127, 128, 300, 1 << 35, .max] { writer.writeVarint(v) }
        writer.writeString("héllo")
        writer.writeLengthPrefixed([9, 8, 7])
        writer.writeInteger(Int32(-2))
        reader = ByteReader(writer.take())
        for v: UInt64 in [0, 1, 127, 128, 300, 1 << 35, .max] { #expect(try reader.readVarint() == v) }
        #expect(try reader.readString() == "héllo")
        #expect(Array(try reader.readLengthPrefixed()) == [9, 8, 7])
        #expect(try reader.readInteger(Int32.self) == -2)
        #expect(reader.isAtEnd)
    }

    @Test func nestingAtTheDepthLimitDecodesAndDeeperThrows() throws {
        // Node at level k sits at depth 2k + 1 and its children array at 2k + 2, so a chain of
        // maxDepth / 2 nodes is the deepest that decodes.
        let limit = WireDecoder.maxDepth / 2
        try expectRoundTrip(Node.chain(limit))
        let tooDeep = try encode(Node.chain(limit + 1))
        do {
            _ = try decode(Node.self, tooDeep)
            Issue.record("nesting past the limit decoded")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("nesting deeper than \(WireDecoder.maxDepth)"))
            #expect(context.codingPath.count == WireDecoder.maxDepth)
        }

        // An indirect enum nested past the limit.
        var tree = Tree.leaf(0)
        for i in 0..<WireDecoder.maxDepth { tree = .node(tree, .leaf(i)) }
        let treeBytes = try encode(tree)
        #expect(throws: DecodingError.self) { _ = try decode(Tree.self, treeBytes) }
    }

    @Test func craftedDeepNestingThrowsInsteadOfOverflowingTheStack() throws {
        // 200,000 nested Nodes, built back to front without recursion: far deeper than any stack.
        let levels = 200_000
        let innermost = try encode(Node(children: []))
        #expect(innermost == slot(field("children", slot([]))))
        var reversed = Array(innermost.reversed())
        var length = innermost.count
        let key = field("children", []).reversed()
        for _ in 1..<levels {
            let arrayHeader = varint(UInt64(length) + 1)
            reversed.append(contentsOf: arrayHeader.reversed())
            reversed.append(contentsOf: key)
            let payload = length + arrayHeader.count + key.count
            let header = varint(UInt64(payload) + 1)
            reversed.append(contentsOf: header.reversed())
            length = payload + header.count
        }
        let bytes = Array(reversed.reversed())
        #expect(bytes.count == length)
        // The innermost levels are a valid Node encoding.
        #expect(try decode(Node.self, Array(bytes.suffix(innermost.count))) == Node(children: []))
        // Two levels decode as Node(children: [Node(children: [])]).
        let twoLevels = Array(bytes.suffix(innermost.count + key.count + 2))
        #expect(try decode(Node.self, twoLevels) == Node.chain(2))
        do {
            _ = try decode(Node.self, bytes)
            Issue.record("\(levels) levels decoded")
        } catch {
            #expect(debugDescription(of: error).contains("nesting deeper than"))
        }
    }

    @Test func typeMismatchesThrowDecodingErrors() throws {
        // Missing key.
        do {
            _ = try decode(P.self, encode(OnlyX(x: 1)))
            Issue.record("missing key decoded")
        } catch let DecodingError.keyNotFound(key, _) {
            #expect(key.stringValue == "y")
        }
        // Unknown raw value and unknown enum case.
        #expect(throws: DecodingError.self) { _ = try decode(Status.self, encode(StatusV2.paused)) }
        #expect(try decode(Status.self, encode(StatusV2.stopped)) == .stopped)
        #expect(throws: DecodingError.self) { _ = try decode(Shape.self, encode(ShapeV2.triangle(a: 1, b: 2, c: 3))) }
        #expect(try decode(Shape.self, encode(ShapeV2.circle(radius: 1))) == .circle(radius: 1))
        // An enum payload with two cases at once.
        let twoCases = slot(field("empty", slot([])) + field("circle", slot(field("radius", try encode(1.0)))))
        #expect(throws: DecodingError.self) { _ = try decode(Shape.self, twoCases) }

        // Integers that do not fit the type they are read as.
        #expect(throws: DecodingError.self) { _ = try decode(Int8.self, encode(300)) }
        #expect(throws: DecodingError.self) { _ = try decode(UInt16.self, encode(UInt32(70_000))) }
        #expect(throws: DecodingError.self) { _ = try decode(Int.self, encode("a string of nine or more bytes")) }
        // Fixed-size payloads of the wrong size.
        #expect(throws: DecodingError.self) { _ = try decode(Double.self, encode(5)) }
        #expect(throws: DecodingError.self) { _ = try decode(Float.self, encode(1.0)) }
        #expect(throws: DecodingError.self) { _ = try decode(Bool.self, encode(2)) }
        #expect(throws: DecodingError.self) { _ = try decode(Bool.self, encode(300)) }
        #expect(throws: DecodingError.self) { _ = try decode([Int].self, encode([UInt8](repeating: 1, count: 7))) }
        // nil where a value is required.
        do {
            _ = try decode(Int.self, encode(Int?.none))
            Issue.record("nil decoded as Int")
        } catch DecodingError.valueNotFound {}
        #expect(throws: DecodingError.self) { _ = try decode(Inner.self, encode(Inner?.none)) }
        #expect(throws: DecodingError.self) { _ = try decode([Int?].self, [0]) }
        // A struct read from a number's bytes, an array from a struct's.
        #expect(throws: DecodingError.self) { _ = try decode(P.self, encode(123_456)) }
        #expect(throws: DecodingError.self) { _ = try decode(Outer.self, encode(Record.sample)) }
        // An unkeyed container read past its end.
        struct Triple: Decodable {
            init(from decoder: any Decoder) throws {
                var c = try decoder.unkeyedContainer()
                for _ in 0..<3 { _ = try c.decode(Int.self) }
            }
        }
        #expect(throws: DecodingError.self) { _ = try decode(Triple.self, encode([1, 2] as [Int?])) }

        // Documented limit: no type tags travel, so bytes that fit the requested type decode
        // as that type. A String read where an Int was written is that Int's bytes as UTF-8.
        #expect(try decode(String.self, encode(0x41)) == "A")
        #expect(try decode(UInt8.self, encode(Int8(-1))) == 255)
    }

    // MARK: Encoder misuse

    @Test func writingToANestedContainerAfterItsParentMovedOnThrows() throws {
        struct Misuse: Encodable {
            enum K: String, CodingKey { case a, b, c }
            var variant: Int
            func encode(to encoder: any Encoder) throws {
                var outer = encoder.container(keyedBy: K.self)
                switch variant {
                case 0:
                    // keyed nested container, then the parent writes, then the nested one again
                    var nested = outer.nestedContainer(keyedBy: K.self, forKey: .a)
                    try nested.encode(1, forKey: .a)
                    try outer.encode(2, forKey: .b)
                    try nested.encode(3, forKey: .b)
                case 1:
                    // unkeyed nested container, parent opens a sibling
                    var list = outer.nestedUnkeyedContainer(forKey: .a)
                    try list.encode("x")
                    _ = outer.nestedUnkeyedContainer(forKey: .b)
                    try list.encode("y")
                case 2:
                    // a nested container never written to before the parent moved on
                    var nested = outer.nestedContainer(keyedBy: K.self, forKey: .a)
                    try outer.encode(2, forKey: .b)
                    try nested.encodeNil(forKey: .c)
                case 3:
                    // inside an unkeyed container: element containers are streamed in order
                    var list = outer.nestedUnkeyedContainer(forKey: .a)
                    var first = list.nestedUnkeyedContainer()
                    var second = list.nestedContainer(keyedBy: K.self)
                    try second.encode(true, forKey: .a)
                    try first.encode(false)
                case 4:
                    // a closed keyed container opening a nested container of its own
                    var nested = outer.nestedContainer(keyedBy: K.self, forKey: .a)
                    try outer.encode(2, forKey: .b)
                    var inner = nested.nestedContainer(keyedBy: K.self, forKey: .c)
                    try inner.encode(1, forKey: .a)
                case 5:
                    // a closed unkeyed container opening a nested unkeyed container
                    var list = outer.nestedUnkeyedContainer(forKey: .a)
                    try outer.encode(2, forKey: .b)
                    var inner = list.nestedUnkeyedContainer()
                    try inner.encode(1)
                case 6:
                    // a closed keyed container handing out a super encoder
                    var nested = outer.nestedContainer(keyedBy: K.self, forKey: .a)
                    try outer.encode(2, forKey: .b)
                    var inner = nested.superEncoder().container(keyedBy: K.self)
                    try inner.encode(1, forKey: .a)
                default:
                    // a super encoder written to after its parent moved on
                    let superEncoder = outer.superEncoder(forKey: .a)
                    var inner = superEncoder.unkeyedContainer()
                    try inner.encode(1)
                    try outer.encode(2, forKey: .b)
                    try inner.encode(3)
                }
            }
        }
        for variant in 0..<8 {
            do {
                _ = try encode(Misuse(variant: variant))
                Issue.record("variant \(variant) encoded")
            } catch let EncodingError.invalidValue(_, context) {
                #expect(context.debugDescription.contains("nested container was written to after its parent container moved on"))
            }
        }
    }

    @Test func validInterleavingOfNestedContainersEncodes() throws {
        // The legal counterpart: the parent writes after a nested container, which is then
        // left alone. The nested value is complete and the parent's fields follow it.
        struct Legal: Encodable {
            enum K: String, CodingKey { case a, b }
            var a: [String: Int]
            var b: Int
            func encode(to encoder: any Encoder) throws {
                var outer = encoder.container(keyedBy: K.self)
                var nested = outer.nestedContainer(keyedBy: AnyKey.self, forKey: .a)
                for (k, v) in a.sorted(by: { $0.key < $1.key }) { try nested.encode(v, forKey: AnyKey(k)) }
                try outer.encode(b, forKey: .b)
            }
        }
        struct AnyKey: CodingKey {
            var stringValue: String
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }
        struct LegalView: Decodable, Equatable {
            var a: [String: Int]
            var b: Int
        }
        let bytes = try encode(Legal(a: ["p": 1, "q": 2], b: 3))
        #expect(try decode(LegalView.self, bytes) == LegalView(a: ["p": 1, "q": 2], b: 3))
        #expect(bytes == slot(field("a", slot(field("p", [2, 1]) + field("q", [2, 2]))) + field("b", [2, 3])))
    }
}

extension Custom {
    static let sample = Custom(
        id: 42, x: -7, y: 3.25, extras: [1, 2, 3], extraName: "named", tags: ["a", "", "ü"],
        matrix: [[1, 2], [], [3]], temperature: Celsius(21.5),
        wrapped: Wrapped(Inner(id: 5, name: "w", scores: [9], flags: [false])), note: "note", emptyNested: true
    )
}
