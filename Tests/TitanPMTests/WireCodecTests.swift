import FoundationEssentials
import Testing
import TitanPMTestKit
@testable import TitanPM
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// The binary codec on its own: round trips, size, and bytes from a hostile peer.
@Suite struct WireCodecTests {
    struct Inner: Codable, Hashable {
        var name: String
        var tags: [String]
        var score: Double?
    }

    enum Shape: Codable, Hashable {
        case circle(radius: Double)
        case polygon(points: [Int], closed: Bool)
        case empty
    }

    struct Outer: Codable, Hashable {
        var id: Int
        var inner: Inner
        var shapes: [Shape]
        var lookup: [String: Int]
        var byNumber: [Int: String]
        var matrix: [[Int]]
        var maybe: [Int?]
        var set: Set<String>
        var blob: Data
        var nothing: Inner?
    }

    indirect enum Chain: Codable, Hashable {
        case end
        case link(Chain)
    }

    /// Uses every kind of container by hand, including nested ones.
    struct Handmade: Codable, Hashable {
        var a: Int
        var list: [String]
        var pair: (Int, Int)
        var flag: Bool

        enum Keys: String, CodingKey { case a, nested, list, flag }
        enum NestedKeys: String, CodingKey { case first, second }

        init(a: Int, list: [String], pair: (Int, Int), flag: Bool) {
            (self.a, self.list, self.pair, self.flag) = (a, list, pair, flag)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(a, forKey: .a)
            var nested = container.nestedContainer(keyedBy: NestedKeys.self, forKey: .nested)
            try nested.encode(pair.0, forKey: .first)
            try nested.encode(pair.1, forKey: .second)
            var list = container.nestedUnkeyedContainer(forKey: .list)
            for item in self.list { try list.encode(item) }
            try container.encode(flag, forKey: .flag)
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            a = try container.decode(Int.self, forKey: .a)
            let nested = try container.nestedContainer(keyedBy: NestedKeys.self, forKey: .nested)
            pair = (try nested.decode(Int.self, forKey: .first), try nested.decode(Int.self, forKey: .second))
            var list = try container.nestedUnkeyedContainer(forKey: .list)
            var items: [String] = []
            while !list.isAtEnd { items.append(try list.decode(String.self)) }
            self.list = items
            flag = try container.decode(Bool.self, forKey: .flag)
        }

        static func == (l: Self, r: Self) -> Bool { l.a == r.a && l.list == r.list && l.pair == r.pair && l.flag == r.flag }
        func hash(into hasher: inout Hasher) { hasher.combine(a) }
    }

    /// Writes to its outer container after opening a nested one: not expressible in a
    /// streaming format, and must be refused rather than produce corrupt bytes.
    struct Misuse: Encodable {
        func encode(to encoder: any Encoder) throws {
            var outer = encoder.unkeyedContainer()
            var inner = outer.nestedUnkeyedContainer()
            try inner.encode(1)
            try outer.encode(2)
            try inner.encode(3)
        }
    }

    func roundTrip<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = try WireEncoder().encode(value)
        let back = try WireDecoder().decode(T.self, from: bytes)
        #expect(back == value, sourceLocation: sourceLocation)
    }

    static let sample = Outer(
        id: -42,
        inner: Inner(name: "héllo 🌍", tags: ["a", "", "ccc"], score: 0.5),
        shapes: [.circle(radius: 2.5), .polygon(points: [1, -2, 3], closed: true), .empty],
        lookup: ["one": 1, "two": 2],
        byNumber: [7: "seven", -1: "minus one"],
        matrix: [[1, 2], [], [3]],
        maybe: [1, nil, 3],
        set: ["x", "y"],
        blob: Data([0, 1, 2, 255]),
        nothing: nil
    )

    @Test func scalarsAtTheirLimits() throws {
        try roundTrip([Int.min, -1, 0, 1, Int.max])
        try roundTrip([Int8.min, 0, Int8.max])
        try roundTrip([Int16.min, Int16.max])
        try roundTrip([Int32.min, Int32.max])
        try roundTrip([Int64.min, Int64.max])
        try roundTrip([UInt.min, UInt.max])
        try roundTrip([UInt8.min, UInt8.max])
        try roundTrip([UInt16.max])
        try roundTrip([UInt32.max])
        try roundTrip([UInt64.max])
        try roundTrip([Float.infinity, -Float.infinity, Float.leastNonzeroMagnitude, 1.5])
        try roundTrip([Double.infinity, -Double.greatestFiniteMagnitude, 0.1])
        try roundTrip([true, false])
        let nan = try WireDecoder().decode(Double.self, from: WireEncoder().encode(Double.nan))
        #expect(nan.isNaN)
        let negativeZero = try WireDecoder().decode(Double.self, from: WireEncoder().encode(-0.0))
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
    }

    @Test func stringsOptionalsAndCollections() throws {
        try roundTrip("")
        try roundTrip("ünïcødé 🎉 \u{0}")
        try roundTrip(String(repeating: "x", count: 10_000))
        try roundTrip(Optional<Int>.none)
        try roundTrip(Optional(5))
        try roundTrip([[String]]())
        try roundTrip([String](repeating: "s", count: 3))
        try roundTrip([UInt8](repeating: 9, count: 65_536))
        try roundTrip(["k": [1, 2], "empty": []])
        try roundTrip(Self.sample)
        try roundTrip(Handmade(a: 1, list: ["p", "q"], pair: (3, 4), flag: true))
        try roundTrip(Chain.link(.link(.link(.end))))
    }

    @Test func nestedOptionalsBehaveAsInEveryCodableFormat() throws {
        // Optional's own Codable conformance writes `.some(.none)` exactly as `.none` (a
        // nil); JSONEncoder does the same. Both decode to `.none`.
        #expect(try WireDecoder().decode(Int??.self, from: WireEncoder().encode(Int??.none)) == .none)
        #expect(try WireDecoder().decode(Int??.self, from: WireEncoder().encode(Int??.some(.none))) == .none)
        #expect(try WireDecoder().decode(Int??.self, from: WireEncoder().encode(Int??.some(3))) == .some(.some(3)))
        let json = try JSONDecoder().decode([Int??].self, from: JSONEncoder().encode([Int??.some(.none)]))
        #expect(json == [.none])
    }

    /// Writes and reads its value shifted by an offset found in `userInfo`, so a round trip
    /// only gives the value back if both coders hand their entries to nested `Codable` code.
    struct Shifted: Codable, Equatable {
        static let key = CodingUserInfoKey(rawValue: "shift")!
        var value: Int

        init(_ value: Int) { self.value = value }

        func encode(to encoder: any Encoder) throws {
            guard let shift = encoder.userInfo[Self.key] as? Int else { throw CancellationError() }
            var container = encoder.singleValueContainer()
            try container.encode(value + shift)
        }

        init(from decoder: any Decoder) throws {
            guard let shift = decoder.userInfo[Self.key] as? Int else { throw CancellationError() }
            value = try decoder.singleValueContainer().decode(Int.self) - shift
        }
    }

    @Test func userInfoReachesNestedCodableCode() throws {
        let values = [Shifted(1), Shifted(-7)]
        let bytes = try WireEncoder(userInfo: [Shifted.key: 100]).encode(values)
        #expect(try WireDecoder(userInfo: [Shifted.key: 0]).decode([Shifted].self, from: bytes) == [Shifted(101), Shifted(93)])
        #expect(try WireDecoder(userInfo: [Shifted.key: 100]).decode([Shifted].self, from: bytes) == values)
        // Without the entry, the type's own check fails on both sides.
        #expect(throws: CancellationError.self) { try WireEncoder().encode(values) }
        #expect(throws: CancellationError.self) { try WireDecoder().decode([Shifted].self, from: bytes) }
    }

    @Test func encodingIsCompact() throws {
        struct P: Codable { var x: Int; var y: Int }
        let wire = try WireEncoder().encode(P(x: 3, y: 4))
        let json = try JSONEncoder().encode(P(x: 3, y: 4))
        #expect(wire.count < json.count)
        #expect(wire.count <= 9)
        let bytes = try WireEncoder().encode([UInt8](repeating: 1, count: 65_536))
        #expect(bytes.count <= 65_536 + 4)
        let ints = try WireEncoder().encode([Int](repeating: 1, count: 1000))
        #expect(ints.count <= 8 * 1000 + 4)
    }

    @Test func everyTruncationThrows() throws {
        let bytes = try WireEncoder().encode(Self.sample)
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self, "prefix of \(length) bytes") {
                try WireDecoder().decode(Outer.self, from: Array(bytes[..<length]))
            }
        }
    }

    @Test func mutatedBytesNeverTrap() throws {
        let bytes = try WireEncoder().encode(Self.sample)
        var generator = SplitMix64(seed: 0x7175_6172_6b21)
        var decoded = 0
        for _ in 0..<5_000 {
            var copy = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                copy[Int.random(in: 0..<copy.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if (try? WireDecoder().decode(Outer.self, from: copy)) != nil { decoded += 1 }
        }
        // Most mutations are caught; the point is that none crashed the process.
        #expect(decoded < 5_000)
    }

    @Test func hugeLengthsAndDeepNestingAreRefused() throws {
        // A value header claiming 2^62 bytes.
        var writer = ByteWriter()
        writer.writeVarint(UInt64(1) << 62)
        writer.writeBytes([1, 2, 3])
        #expect(throws: DecodingError.self) { try WireDecoder().decode([UInt8].self, from: writer.bytes) }
        #expect(throws: DecodingError.self) { try WireDecoder().decode(String.self, from: writer.bytes) }

        // Legitimately encoded, but deeper than a peer may send.
        var deep = Chain.end
        for _ in 0..<(WireDecoder.maxDepth + 10) { deep = .link(deep) }
        let encoded = try WireEncoder().encode(deep)
        #expect(throws: DecodingError.self) { try WireDecoder().decode(Chain.self, from: encoded) }
        var shallow = Chain.end
        for _ in 0..<50 { shallow = .link(shallow) }
        try roundTrip(shallow)
    }

    @Test func typeMismatchesAreDecodingErrors() throws {
        let number = try WireEncoder().encode(12345)
        #expect(throws: DecodingError.self) { try WireDecoder().decode(Inner.self, from: number) }
        let inner = try WireEncoder().encode(Inner(name: "n", tags: [], score: nil))
        struct Other: Codable { var missing: Int }
        #expect(throws: DecodingError.self) { try WireDecoder().decode(Other.self, from: inner) }
        #expect(throws: DecodingError.self) { try WireDecoder().decode(Bool.self, from: try WireEncoder().encode(300)) }
        #expect(throws: DecodingError.self) { try WireDecoder().decode(Int8.self, from: try WireEncoder().encode(300)) }
        let shape = try WireEncoder().encode(["bogus": 1])
        #expect(throws: DecodingError.self) { try WireDecoder().decode(Shape.self, from: shape) }
        #expect(throws: DecodingError.self) { try WireDecoder().decode(Int.self, from: number + [0]) }
    }

    @Test func nestedContainerMisuseIsRefused() {
        #expect(throws: EncodingError.self) { try WireEncoder().encode(Misuse()) }
    }
}
