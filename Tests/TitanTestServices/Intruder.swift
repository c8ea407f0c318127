import Distributed
import Glibc
import TitanPM

/// What a process that was not introduced tries against a child's listening socket, written
/// the way an outsider would: raw bytes, no Titan client code. Each attempt reports
/// `refused: <why>` or what it got instead.
public enum Intrusion {
    /// Frame kinds, as on the wire.
    private static let hello: UInt8 = 1, call: UInt8 = 3, control: UInt8 = 7, protocolError: UInt8 = 8

    private static func frame(_ kind: UInt8, id: UInt64, _ payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0xC7, kind, 0, 0]
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: id.littleEndian) { bytes += $0 }
        return bytes + payload
    }

    private static func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var bytes: [UInt8] = []
        repeat {
            let byte = UInt8(value & 0x7F)
            value >>= 7
            bytes.append(value == 0 ? byte : byte | 0x80)
        } while value != 0
        return bytes
    }

    /// A hello of the current protocol (2) with `proof`.
    private static func helloPayload(proof: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt16(2).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: getpid().littleEndian) { bytes += $0 }
        let name = Array("intruder".utf8)
        return bytes + varint(name.count) + name + varint(proof.count) + proof
    }

    /// Connects, sends `bytes`, and reports what came back before the child closed. A path
    /// that starts with `@` names an abstract socket (the `@` stands for the leading zero byte).
    private static func attempt(_ path: String, _ bytes: [UInt8]) -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "error: socket" }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var utf8 = Array(path.utf8)
        let abstract = path.hasPrefix("@")
        if abstract { utf8[0] = 0 }
        guard utf8.count < 108 else { return "error: path too long" }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: utf8)
            raw[utf8.count] = 0
        }
        let length = abstract ? MemoryLayout<sa_family_t>.size + utf8.count : MemoryLayout<sockaddr_un>.size
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(length)) }
        }
        guard connected == 0 else { return "refused: connect failed (errno \(errno))" }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollfd, 1, 10_000) > 0 else { return "not closed within 10 s; got \(received.count) bytes" }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        guard received.count >= 16 else { return received.isEmpty ? "refused: closed without a word" : "got \(received.count) bytes" }
        guard received[1] == protocolError else { return "answered with a frame of kind \(received[1])" }
        // The payload is a string: a varint length, then its bytes.
        let reason = received.dropFirst(16).drop { $0 & 0x80 != 0 }.dropFirst()
        return "refused: \(String(decoding: reason, as: UTF8.self))"
    }

    /// A hello without the secret to the socket at `path`: what came back.
    public static func helloWithoutProof(path: String) -> String {
        attempt(path, frame(hello, id: 0, helloPayload(proof: [])))
    }

    /// Every attempt against the child `pid` listening at `path`.
    public static func attack(path: String, pid: Int32) -> [String: String] {
        var generator = SystemRandomNumberGenerator()
        let guess = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var results: [String: String] = [:]
        results["helloWithoutProof"] = helloWithoutProof(path: path)
        results["helloWithGuessedProof"] = attempt(path, frame(hello, id: 0, helloPayload(proof: guess)))
        results["callWithoutHello"] = attempt(path, frame(call, id: 1, [0, 0, 0]))
        // A graceful shutdown request for 0 s: what would stop the child if it were obeyed.
        results["shutdownWithoutHello"] = attempt(path, frame(control, id: 1, [2] + [UInt8](repeating: 0, count: 16)))
        // The manager's socketpairs have no name; their descriptors in /proc cannot be opened
        // (the child is not dumpable).
        for (name, fd) in [("openControlSocket", 3), ("openControlChannel", 4)] {
            let stolen = open("/proc/\(pid)/fd/\(fd)", O_RDWR)
            results[name] = stolen >= 0 ? "opened" : "refused: errno \(errno)"
            if stolen >= 0 { close(stolen) }
        }
        return results
    }
}

/// A sibling child that tries to reach another child it was not introduced to, and a
/// hostile child that turns on its manager.
public distributed actor Intruder: ProcessService {
    public static let name = "intruder"

    /// Writes, on its own connection to the manager (descriptor 3), failure frames for call
    /// ids 1...`count` whose error type is a mangled name with a symbolic reference and NULs:
    /// what would make the runtime's type lookup read wild memory in the manager.
    public distributed func forgeFailures(count: Int) -> Int {
        let mangled: [UInt8] = [0x24, 0x01, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x00, 0x00]
        let typeName = Array("Forged".utf8)
        let message = Array("forged by the child".utf8)
        var payload: [UInt8] = [0] // a Codable error, by mangled type name
        payload += [UInt8(mangled.count)] + mangled
        payload += [UInt8(typeName.count)] + typeName
        payload += [UInt8(message.count)] + message
        payload += [0] // an empty body
        var written = 0
        for id in UInt64(1)..<UInt64(count + 1) {
            var bytes: [UInt8] = [0xC7, 5, 0, 0] // magic, failure
            withUnsafeBytes(of: UInt32(payload.count).littleEndian) { bytes += $0 }
            withUnsafeBytes(of: id.littleEndian) { bytes += $0 }
            bytes += payload
            if bytes.withUnsafeBytes({ send(3, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count { written += 1 }
        }
        return written
    }

    /// Writes on its control channel (descriptor 4) the start of a reply announced as 4 GiB,
    /// then up to `megabytes` MiB of it: what would grow a manager that buffers whatever a
    /// child sends. Returns how many bytes went out before the manager hung up.
    public distributed func floodControlChannel(megabytes: Int) -> Int {
        var sent = 0
        var header: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
        if header.withUnsafeBytes({ send(4, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == 4 { sent += 4 }
        header = [UInt8](repeating: 1, count: 1 << 20)
        for _ in 0..<megabytes {
            let n = header.withUnsafeBytes { send(4, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { break }
            sent += n
        }
        return sent
    }

    public distributed func attack(path: String, pid: Int32) -> [String: String] {
        Intrusion.attack(path: path, pid: pid)
    }
}
