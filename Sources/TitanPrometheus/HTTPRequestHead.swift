import Glibc

/// The request line of an HTTP/1.1 request, read up to the end of its headers (which the
/// metrics endpoint does not need).
struct HTTPRequestHead {
    var method: String
    var path: String

    /// The most a request head may take.
    static let limit = 16 << 10

    /// Reads a request head from `fd`; nil if the peer closed, timed out or sent no request line.
    static func read(from fd: Int32) -> HTTPRequestHead? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
            if containsEnd(bytes, end) { break }
        }
        guard let lineEnd = bytes.firstIndex(of: UInt8(ascii: "\r")) else { return nil }
        let parts = String(decoding: bytes[..<lineEnd], as: UTF8.self).split(separator: " ")
        guard parts.count >= 2 else { return nil }
        return HTTPRequestHead(method: String(parts[0]), path: String(parts[1]))
    }
}

private func containsEnd(_ bytes: [UInt8], _ end: [UInt8]) -> Bool {
    guard bytes.count >= end.count else { return false }
    for start in 0...(bytes.count - end.count) where bytes[start..<(start + end.count)].elementsEqual(end) {
        return true
    }
    return false
}
