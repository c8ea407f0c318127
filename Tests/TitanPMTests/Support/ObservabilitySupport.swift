import CoreMetrics
import Glibc
import Logging
import Prometheus
import Synchronization
import TitanPM

/// The test process's `MetricsSystem` backend: bootstrapped once (swift-metrics allows one
/// bootstrap per process), shared by the tests that read what managers re-emit.
let testPrometheusRegistry: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}()

/// The lines of the Prometheus exposition of `registry` that name `metric` and contain every
/// one of `labels` (as `name="value"`).
func exposition(_ registry: PrometheusCollectorRegistry, _ metric: String, _ labels: [String: String]) -> [String] {
    registry.emitToString().split(separator: "\n").map(String.init).filter { line in
        line.hasPrefix(metric + "{") && labels.allSatisfy { line.contains("\($0.key)=\"\($0.value)\"") }
    }
}

/// The value at the end of an exposition line.
func sampleValue(_ line: String) -> Double? {
    line.split(separator: " ").last.flatMap { Double($0) }
}

/// A log handler that keeps every record, for tests that check what a manager re-emits.
final class CapturedLogs: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
        var source: String
    }

    private let entries = Mutex<[Entry]>([])

    var all: [Entry] { entries.withLock { $0 } }

    func logger() -> Logger {
        var logger = Logger(label: "test.capture") { _ in Handler(sink: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ entry: Entry) {
        entries.withLock { $0.append(entry) }
    }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var flat: [String: String] = [:]
            for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { flat[key] = "\(value)" }
            sink.append(Entry(level: event.level, message: "\(event.message)", metadata: flat, source: event.source))
        }
    }
}

/// A bare HTTP/1.1 GET on loopback; the response body, or nil if the server did not answer.
func httpGet(port: Int, path: String) -> (status: Int, body: String)? {
    httpRequest(port: port, path: path)
}

/// A bare HTTP/1.1 request on loopback, as a browser or curl would send it (`Host` may be
/// overridden in `headers`); the status and body, or nil if the server did not answer.
func httpRequest(port: Int, method: String = "GET", path: String, headers: [String: String] = [:], body: String = "") -> (status: Int, body: String)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    var head = "\(method) \(path) HTTP/1.1\r\nHost: \(headers["Host"] ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
    if !body.isEmpty || method != "GET" { head += "Content-Length: \(body.utf8.count)\r\n" }
    for (name, value) in headers where name != "Host" { head += "\(name): \(value)\r\n" }
    let request = Array((head + "\r\n" + body).utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        if n <= 0 { break }
        response += chunk[0..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let headEnd = text.range(of: "\r\n\r\n"), let status = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
    var payload = String(text[headEnd.upperBound...])
    if text[..<headEnd.lowerBound].lowercased().contains("transfer-encoding: chunked") { payload = dechunk(payload) }
    return (status, payload)
}

private func dechunk(_ body: String) -> String {
    var result = ""
    var rest = Substring(body)
    while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
        let start = lineEnd.upperBound
        let utf8 = rest.utf8
        let end = utf8.index(start, offsetBy: size, limitedBy: utf8.endIndex) ?? utf8.endIndex
        result += rest[start..<end]
        rest = rest[end...].dropFirst(2)
    }
    return result
}

/// A free TCP port on loopback (bound, read, released).
func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A new empty directory under /tmp.
func makeTemporaryDirectory(_ prefix: String) -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    return String(cString: template)
}

/// Removes `directory` and everything in it (one level of subdirectories deep is enough here).
func removeTree(_ directory: String) {
    guard let dir = opendir(directory) else { return }
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        guard name != ".", name != ".." else { continue }
        let path = "\(directory)/\(name)"
        if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(path) } else { unlink(path) }
    }
    closedir(dir)
    rmdir(directory)
}

/// The names of the files in `directory`.
func fileNames(in directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != ".", name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// The size of the file at `path` in bytes.
func fileSize(_ path: String) -> Int {
    var status = stat()
    return stat(path, &status) == 0 ? Int(status.st_size) : -1
}
