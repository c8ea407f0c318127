import Glibc
import Synchronization
import TitanCore
import TitanTransport
import TitanWire

// Feeds the input, as a peer's byte stream, to a real SocketConnection over a socketpair.
// The first two bytes choose the limits (so the oversized, skip, large-frame and
// pre-handshake paths are all reached); every frame is answered with an echo (so the
// back-pressure path runs), and a drain thread reads the answers like a slow peer.
// Checks: every delivered frame is whole and within the limits in force; the connection
// always ends (no hang) once the input has ended.

private let connectionEnded = Semaphore()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrameReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let maxFrameSize = 64 + Int(input[0]) * 1024            // 64 B ... ~255 KiB
    let handshakeLimit: Int? = input[1] & 1 == 0 ? nil : 16 + Int(input[1]) * 16
    let maxUnsent: Int? = input[1] & 2 == 0 ? nil : 64 + Int(input[1]) * 8
    let stream = Array(input[2...])

    var fds: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else { fatalError("socketpair") }
    let (ours, theirs) = (fds[0], fds[1])
    let connection = SocketConnection(fd: theirs, maxFrameSize: maxFrameSize, handshakeFrameLimit: handshakeLimit, maxUnsentBytes: maxUnsent)
    let delivered = Atomic<Int>(0)
    connection.start(name: "fuzz-reader", onStart: nil, handler: { inbound in
        switch inbound {
        case .frame(let frame):
            let limit = delivered.load(ordering: .relaxed) == 0 ? (handshakeLimit ?? maxFrameSize) : maxFrameSize
            precondition(frame.payload.count <= max(limit, maxFrameSize), "frame above the limit")
            if delivered.wrappingAdd(1, ordering: .relaxed).oldValue == 0, handshakeLimit != nil {
                connection.handshakeCompleted()
            }
            try? connection.enqueue(FrameBuilder.frame(.reply, id: frame.id, payload: frame.payload))
        case .oversized(let header):
            precondition(Int(header.length) > maxFrameSize, "oversized report for a frame within the limit")
        }
    }, onBatchEnd: {
        connection.flush()
    }, onClose: { _ in
        connectionEnded.signal()
    })

    // The slow peer: reads what the connection writes back until it closes.
    let drained = Semaphore()
    startDetachedThread(name: "fuzz-drain") {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(ours, &buffer, buffer.count) > 0 {}
        drained.signal()
    }
    var offset = 0
    while offset < stream.count {
        let n = stream.withUnsafeBytes { send(ours, $0.baseAddress! + offset, stream.count - offset, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { break } // the connection closed on a protocol violation
        offset += n
    }
    shutdown(ours, Int32(SHUT_WR))
    connectionEnded.wait()
    drained.wait()
    close(ours)
    return 0
}

/// With TITAN_FUZZ_WRITE_SEEDS=<dir>, writes seed inputs (limit bytes, then runs of frames of
/// every kind, an oversized one, a frame cut short) and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    guard let directory = getenv("TITAN_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
    let frames = FrameKind.allCases.map { FrameBuilder.frame($0, id: UInt64($0.rawValue), payload: Array("payload of \($0)".utf8)) }
    let big = FrameBuilder.frame(.call, id: 99, payload: [UInt8](repeating: 0xAB, count: 3000))
    let seeds: [[UInt8]] = [
        [0, 0] + frames.joined(),
        [1, 1] + frames.joined() + big,
        [0, 3] + big + frames[0],
        [200, 2] + frames.joined() + frames.joined(),
        [0, 1] + Array(big.prefix(40)),
    ]
    for (index, seed) in seeds.enumerated() {
        let file = fopen("\(directory)/seed-\(index)", "wb")!
        _ = seed.withUnsafeBytes { fwrite($0.baseAddress!, 1, $0.count, file) }
        fclose(file)
    }
    exit(0)
}
