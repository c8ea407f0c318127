import Testing
@testable import TitanPM

@Test func varintRoundTrip() throws {
    var w = ByteWriter()
    for v: UInt64 in [0, 1, 127, 128, 300, .max] { w.writeVarint(v) }
    var r = ByteReader(w.bytes)
    for v: UInt64 in [0, 1, 127, 128, 300, .max] { #expect(try r.readVarint() == v) }
    #expect(r.isAtEnd)
}
