import FoundationEssentials
import Glibc
import Testing
import TitanAdmin
import TitanAdminAPI
import TitanDashboard
import TitanPMTestKit
import TitanProcess
@testable import TitanPM

/// The `titan` executable built next to the test binary.
let titanPath: String = {
    let directory = testHostPath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return directory + "/titan"
}()

/// A fresh directory under /tmp with `mode`, removed by the caller with ``removeTree(_:)``.
func makeTemporaryDirectory(mode: mode_t = 0o700) throws -> String {
    var template = Array("/tmp/titan-admin-test-XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        throw ProcessError.startFailed("mkdtemp: \(errno)")
    }
    let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    chmod(path, mode)
    return path
}

/// Removes `path` and what it holds (one level: the tests' directories are flat).
func removeTree(_ path: String) {
    if let dir = opendir(path) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { unlink("\(path)/\(name)") }
        }
        closedir(dir)
    }
    rmdir(path)
}

/// A manager with its admin endpoint open on a socket of its own, for one test.
func withAdmin<T>(
    _ options: AdminOptions = AdminOptions(),
    _ body: (ProcessManager, AdminServer) async throws -> T
) async throws -> T {
    let directory = try makeTemporaryDirectory()
    defer { removeTree(directory) }
    var options = options
    if options.socketPath == nil { options.socketPath = "\(directory)/admin.sock" }
    return try await withProcessManager { pm in
        let admin = try pm.serveAdmin(options)
        defer { admin.stop() }
        return try await body(pm, admin)
    }
}

/// Runs `titan` with `arguments` against `admin`'s socket (unless the arguments name another
/// endpoint) and returns what it printed and its exit status.
func titan(_ arguments: [String], _ admin: AdminServer?, environment: [String: String] = [:]) async throws -> Subprocess.Result {
    var environment = environment
    if let admin, environment[AdminEndpoint.socketVariable] == nil { environment[AdminEndpoint.socketVariable] = admin.socketPath }
    return try await Subprocess.run(titanPath, arguments, environment: environment)
}

/// Decodes `titan ... --json` output.
func decode<T: Decodable>(_ type: T.Type, from result: Subprocess.Result) throws -> T {
    do {
        return try JSONDecoder().decode(T.self, from: Data(result.stdout.utf8))
    } catch {
        Issue.record("not \(T.self) JSON: \(result)")
        throw error
    }
}

/// Whether `text` holds a terminal escape sequence (colour, cursor movement).
func hasEscapes(_ text: String) -> Bool {
    text.contains("\u{1B}[")
}

/// An HTTP/1.1 request over a plain TCP connection, as a browser or curl would send it;
/// returns the status code and body.
func httpRequest(port: Int, method: String = "GET", path: String, headers: [String: String] = [:], body: String = "") throws -> (status: Int, body: String) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ProcessError.startFailed("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { throw ProcessError.startFailed("connect to port \(port): \(errno)") }
    var head = "\(method) \(path) HTTP/1.1\r\nHost: \(headers["Host"] ?? "127.0.0.1:\(port)")\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
    for (name, value) in headers where name != "Host" { head += "\(name): \(value)\r\n" }
    let bytes = Array((head + "\r\n" + body).utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 8192)
    while true {
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { break }
        response += buffer[0..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    let separator = text.firstRange(of: "\r\n\r\n")
    var payload = separator.map { String(text[$0.upperBound...]) } ?? ""
    if text.lowercased().contains("transfer-encoding: chunked") { payload = dechunk(payload) }
    return (status, payload)
}

private func dechunk(_ text: String) -> String {
    var rest = Substring(text)
    var result = ""
    while let lineEnd = rest.firstRange(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
        let start = lineEnd.upperBound
        let bytes = Array(rest[start...].utf8)
        result += String(decoding: bytes.prefix(size), as: UTF8.self)
        rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
    }
    return result
}

/// The uid and gid of user `nobody`.
func nobody() -> (uid: uid_t, gid: gid_t)? {
    guard let entry = getpwnam("nobody") else { return nil }
    return (entry.pointee.pw_uid, entry.pointee.pw_gid)
}

/// A copy of the `titan` executable in `directory` (mode 0755), so another user can run it
/// wherever the build directory is.
func titanCopy(in directory: String) throws -> String {
    let target = "\(directory)/titan"
    guard let bytes = ProcFS.read(titanPath) else { throw ProcessError.startFailed("cannot read \(titanPath)") }
    let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
    guard fd >= 0 else { throw ProcessError.startFailed("cannot write \(target)") }
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        guard n > 0 else { throw ProcessError.startFailed("cannot write \(target)") }
        offset += n
    }
    fchmod(fd, 0o755)
    return target
}

/// Runs `titan` as user `nobody` (through setpriv), with `arguments`.
func titanAsNobody(_ executable: String, _ arguments: [String]) async throws -> Subprocess.Result {
    let user = try #require(nobody())
    return try await Subprocess.run("/usr/bin/setpriv", [
        "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--", executable,
    ] + arguments, environment: ["HOME": "/", "XDG_RUNTIME_DIR": ""])
}

/// Serves `admin`'s dashboard for `body`, and stops it afterwards.
func withDashboard<T>(_ admin: AdminServer, _ options: DashboardOptions, _ body: (Dashboard) async throws -> T) async throws -> T {
    let dashboard = try await admin.serveDashboard(options)
    do {
        let result = try await body(dashboard)
        await dashboard.stop()
        return result
    } catch {
        await dashboard.stop()
        throw error
    }
}
