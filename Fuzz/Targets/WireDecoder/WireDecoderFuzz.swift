import Glibc
import TitanCore
import TitanWire

// Decodes the input as each kind of value a peer can send: Codable values through
// WireDecoder (scalars, strings, collections, optionals, nested structs and enums), and the
// hand-written messages (call envelope, hello, welcome, control request, readiness report,
// remote failure). The first byte picks the type. Whatever decodes must re-encode and
// decode to the same value. Decoding garbage may fail, never crash, hang or leak.

struct Point: Codable, Equatable {
    var x: Double
    var y: Double
    var label: String?
}

enum Shape: Codable, Equatable {
    case circle(center: Point, radius: Float)
    case polygon([Point])
    case empty
}

struct Document: Codable, Equatable {
    var id: UInt64
    var title: String
    var tags: Set<String>
    var counts: [String: Int32]
    var shapes: [Shape]
    var nested: [[Int8]]
    var flag: Bool?
    var bytes: [UInt8]
}

private func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ bytes: [UInt8]) {
    guard let value = try? WireDecoder().decode(T.self, from: bytes) else { return }
    guard let encoded = try? WireEncoder().encode(value) else { fatalError("a decoded \(T.self) does not encode") }
    guard let again = try? WireDecoder().decode(T.self, from: encoded) else { fatalError("a re-encoded \(T.self) does not decode") }
    // NaN is the one value not equal to itself.
    if "\(value)".contains("nan") { return }
    precondition(again == value, "\(T.self) changed in a round trip")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let selector = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch selector % 16 {
    case 0: roundTrip(Int.self, bytes)
    case 1: roundTrip(String.self, bytes)
    case 2: roundTrip([Int].self, bytes)
    case 3: roundTrip([String: Int].self, bytes)
    case 4: roundTrip(Point.self, bytes)
    case 5: roundTrip(Shape.self, bytes)
    case 6: roundTrip(Document.self, bytes)
    case 7: roundTrip([Double?].self, bytes)
    case 8: roundTrip(ProcessError.self, bytes)
    case 9:
        if let envelope = try? CallEnvelope(payload: bytes) {
            _ = envelope.target
            _ = envelope.metadata
        }
    case 10:
        if let hello = try? Hello(payload: bytes) {
            precondition((try? Hello(payload: hello.payload)) == hello, "hello changed in a round trip")
        }
    case 11:
        if let welcome = try? Welcome(payload: bytes) {
            precondition((try? Welcome(payload: welcome.payload)) == welcome, "welcome changed in a round trip")
        }
    case 12:
        if let request = try? ControlRequest(payload: bytes) {
            _ = request.payload
        }
        // The control channel's messages: the manager reads a child's replies with this.
        if let message = try? ControlChannelMessage(bytes: bytes) {
            precondition((try? ControlChannelMessage(bytes: message.bytes)) == message, "control channel message changed in a round trip")
        }
    case 13:
        if let report = try? ReadinessReport(bytes: bytes) {
            precondition((try? ReadinessReport(bytes: report.bytes)) == report, "readiness report changed in a round trip")
        }
    case 14:
        var reader = ByteReader(bytes)
        _ = RemoteFailure.read(from: &reader, decoder: WireDecoder())
    default:
        roundTrip([UInt16: [String?]].self, bytes)
    }
    return 0
}

/// With TITAN_FUZZ_WRITE_SEEDS=<dir>, writes one encoded value of each selected type and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    guard let directory = getenv("TITAN_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
    let encoder = WireEncoder()
    let point = Point(x: 1.5, y: -2, label: "p")
    let document = Document(
        id: 7, title: "title", tags: ["a", "b"], counts: ["x": 1, "y": -2],
        shapes: [.circle(center: point, radius: 2), .polygon([point, point]), .empty],
        nested: [[1, -1], []], flag: true, bytes: [0, 255]
    )
    var envelope = FrameBuilder(kind: .call)
    envelope.writer.writeVarint(1)
    envelope.writer.writeString("Si")
    try? encoder.encode(42, into: &envelope.writer)
    CallEnvelope.writeTrailer(into: &envelope, instance: 3, target: "$s4Main4TypeC3addyS2i_SitYaKFTE", metadata: ["key": "value"])
    var failure = ByteWriter()
    RemoteFailure.write(ProcessError.timedOut(after: .seconds(1)), into: &failure, encoder: encoder)
    let seeds: [[UInt8]] = [
        [0] + ((try? encoder.encode(-123456789)) ?? []),
        [1] + ((try? encoder.encode("héllo wörld")) ?? []),
        [2] + ((try? encoder.encode([1, 2, 3, Int.max, Int.min])) ?? []),
        [3] + ((try? encoder.encode(["a": 1, "b": 2])) ?? []),
        [4] + ((try? encoder.encode(point)) ?? []),
        [5] + ((try? encoder.encode(Shape.polygon([point]))) ?? []),
        [6] + ((try? encoder.encode(document)) ?? []),
        [7] + ((try? encoder.encode([1.0, nil, .infinity] as [Double?])) ?? []),
        [8] + ((try? encoder.encode(ProcessError.unknownTarget("x"))) ?? []),
        [9] + Array(envelope.writer.bytes[FrameHeader.size...]),
        [10] + Hello(pid: 1, callerName: "seed", proof: [1, 2, 3]).payload,
        [11] + Welcome(pid: 2, process: ProcessID("p-1"), service: "s", serviceVersion: "1").payload,
        [12] + ControlRequest.shutdown(timeout: .milliseconds(1500)).payload,
        [13] + ReadinessReport.failed(.configuration, "why").bytes,
        [14] + failure.bytes,
        [15] + ((try? encoder.encode([1: ["a", nil]] as [UInt16: [String?]])) ?? []),
        [12] + ControlChannelMessage.request(id: 7, .cancel(callID: 3)).bytes,
        [12] + ControlChannelMessage.done(id: 8, [1, 2]).bytes,
        [12] + ControlChannelMessage.failed(id: 9, "busy").bytes,
    ]
    for (index, seed) in seeds.enumerated() {
        let file = fopen("\(directory)/seed-\(index)", "wb")!
        _ = seed.withUnsafeBytes { fwrite($0.baseAddress!, 1, $0.count, file) }
        fclose(file)
    }
    exit(0)
}
