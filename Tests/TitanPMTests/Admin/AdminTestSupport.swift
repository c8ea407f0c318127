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
    let path = makeTemporaryDirectory("titan-admin-test")
    guard !path.isEmpty, chmod(path, mode) == 0 else { throw ProcessError.startFailed("mkdtemp: \(errno)") }
    return path
}

/// A manager with its admin endpoint open on a socket of its own, for one test.
func withAdmin<T>(
    _ options: AdminOptions = AdminOptions(),
    observability: ObservabilityOptions = ObservabilityOptions(),
    _ body: (ProcessManager, AdminServer) async throws -> T
) async throws -> T {
    let directory = try makeTemporaryDirectory()
    defer { removeTree(directory) }
    var options = options
    if options.socketPath == nil { options.socketPath = "\(directory)/admin.sock" }
    return try await withProcessManager(observability: observability) { pm in
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
