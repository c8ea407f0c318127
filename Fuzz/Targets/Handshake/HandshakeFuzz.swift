import Distributed
import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

// Feeds the input, as a caller's byte stream, to the accepting side of a child's listening
// socket: a SocketConnection with the pre-handshake limits and a CallServer that requires
// the secret, serving two actors of different types (so a target of one type sent to the
// other is tried too). Seeds hold valid hellos, so calls, cancels, streams and control
// requests after a good handshake are explored as well.
// Checks: without the secret in the input, the server answers nothing but a protocol error
// (no welcome, no reply, no failure); with it, nothing but a protocol error comes before the
// welcome; the connection always ends once the input has ended.

distributed actor FuzzCalculator {
    typealias ActorSystem = ProcessActorSystem
    distributed func add(_ a: Int, _ b: Int) -> Int { a &+ b }
    distributed func echo(_ text: String) -> String { text }
    distributed func count(_ values: [UInt8]) -> Int { values.count }
}

distributed actor FuzzStore {
    typealias ActorSystem = ProcessActorSystem
    var values: [String: String] = [:]
    distributed func set(_ key: String, _ value: String) { values[key] = value }
    distributed func get(_ key: String) -> String? { values[key] }
}

private let secret = PeerSecret(bytes: Array("titan-fuzz-secret-0123456789abcd".utf8))
private let system = ProcessActorSystem(processID: ProcessID("fuzz"), maxFrameSize: 1 << 16)
private let actors: (FuzzCalculator, FuzzStore) = {
    let calculator = ProcessActorSystem.$presetID.withValue(ProcessActorID(process: ProcessID("fuzz"), instance: 0)) {
        FuzzCalculator(actorSystem: system)
    }
    return (calculator, FuzzStore(actorSystem: system))
}()
private let connectionEnded = Semaphore()

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
        return true
    }
    return false
}

/// The kinds of the frames in `bytes` (a possibly cut-off stream of whole frames).
private func frameKinds(_ bytes: [UInt8]) -> [FrameKind] {
    var kinds: [FrameKind] = []
    var offset = 0
    while bytes.count - offset >= FrameHeader.size {
        let header = bytes.withUnsafeBytes { raw in try? FrameHeader.parse(raw.baseAddress! + offset) }
        guard let header else { fatalError("the server wrote bytes that are not a frame") }
        kinds.append(header.kind)
        offset += FrameHeader.size + Int(header.length)
    }
    return kinds
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshake(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = actors
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var fds: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else { fatalError("socketpair") }
    let (ours, theirs) = (fds[0], fds[1])
    let connection = SocketConnection(fd: theirs, maxFrameSize: system.maxFrameSize, handshakeFrameLimit: Hello.maxSize, maxUnsentBytes: 4096)
    let server = CallServer(connection: connection, system: system, authentication: .secret(secret, handshakeTimeout: .seconds(3600)))
    server.start { _ in connectionEnded.signal() }

    let output = Mutex<[UInt8]>([])
    let drained = Semaphore()
    startDetachedThread(name: "fuzz-drain") {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(ours, &buffer, buffer.count)
            if n <= 0 { break }
            output.withLock { $0 += buffer[0..<n] }
        }
        drained.signal()
    }
    var offset = 0
    while offset < input.count {
        let n = input.withUnsafeBytes { send(ours, $0.baseAddress! + offset, input.count - offset, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { break }
        offset += n
    }
    shutdown(ours, Int32(SHUT_WR))
    connectionEnded.wait()
    drained.wait()
    close(ours)

    let kinds = frameKinds(output.withLock { $0 })
    let welcomed = kinds.firstIndex(of: .welcome)
    if !contains(input, secret.bytes) {
        precondition(welcomed == nil, "welcomed a caller that did not prove the secret")
    }
    let beforeWelcome = kinds[..<(welcomed ?? kinds.count)]
    precondition(beforeWelcome.allSatisfy { $0 == .protocolError }, "answered \(beforeWelcome) before the handshake")
    return 0
}

/// With TITAN_FUZZ_WRITE_SEEDS=<dir>, writes seed inputs (good hellos followed by real
/// calls, a wrong-type call, a cancel, a control request) and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    guard let directory = getenv("TITAN_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
    let seeds = HandshakeSeeds.make(system: system, secret: secret)
    for (index, seed) in seeds.enumerated() {
        let file = fopen("\(directory)/seed-\(index)", "wb")!
        _ = seed.withUnsafeBytes { fwrite($0.baseAddress!, 1, $0.count, file) }
        fclose(file)
    }
    print("wrote \(seeds.count) seeds to \(directory)")
    exit(0)
}
