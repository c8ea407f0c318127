import Glibc
import TitanPM
import TitanProcess
import TitanTransport

/// `titan-chaos --parent`: a manager with a pool of 4 and one process, which prints its
/// children's pids and its socket directory, then waits to be killed.
func runAsParent() async throws -> Never {
    let pm = ProcessManager()
    let pool = try await pm.pool(ChaosService.self, options: PoolOptions(size: .fixed(4)))
    let single = try await pm.spawn(ChaosService.self)
    var pids = [try await single.pid()]
    for _ in 0..<4 { pids.append(try await pool.proxy.pid()) }
    let workers = pool.workers.compactMap { pm.process(id: $0)?.pid }
    print("ready \(pm.socketDirectoryPath ?? "-") \(Set(pids + workers).map(String.init).joined(separator: " "))")
    fflush(nil)
    while true { try await Task.sleep(for: .seconds(3600)) }
}

/// What was left after the parent was SIGKILLed, and when it went.
struct ParentDeath {
    /// From the SIGKILL until no child of the dead parent was alive.
    var childrenGone: Duration?
    /// From the SIGKILL until no socket of its was left, in the file system or listening in
    /// the abstract namespace; nil if one still was at the end.
    var filesGone: Duration?
    var children: Int
    var directory: String
}

/// Starts `titan-chaos --parent`, SIGKILLs it once ready, and watches its children and socket
/// directory go, for at most `bound`.
func measureParentDeath(bound: Duration = .seconds(5)) async throws -> ParentDeath {
    let (readEnd, writeEnd) = try UnixSocket.pair()
    defer { close(readEnd) }
    let parent = try await ChildLauncher.shared.launch(LaunchRequest(
        executable: try ExecutableImage.current().path,
        arguments: ["--parent"],
        environment: ["PATH": "/usr/bin:/bin"],
        descriptors: [(parentFD: writeEnd, childFD: 1)],
        image: try ExecutableImage.current()
    ))
    close(writeEnd)
    var line: [UInt8] = []
    while !line.contains(10), let chunk = UnixSocket.readSome(readEnd, timeout: .seconds(60)) { line += chunk }
    let words = String(decoding: line, as: UTF8.self).split(whereSeparator: \.isWhitespace)
    guard words.first == "ready", words.count >= 3 else {
        kill(parent, SIGKILL)
        throw ProcessError.startFailed("the --parent run said \(String(decoding: line, as: UTF8.self))")
    }
    let directory = String(words[1])
    let children = words.dropFirst(2).compactMap { Int32($0) }
    let started = ContinuousClock.now
    kill(parent, SIGKILL)
    _ = try await ExitWatcher.shared.waitForExit(of: parent, timeout: bound)
    var result = ParentDeath(childrenGone: nil, filesGone: nil, children: children.count, directory: directory)
    while ContinuousClock.now - started < bound, result.childrenGone == nil || result.filesGone == nil {
        if result.childrenGone == nil, children.allSatisfy({ !ProcFS.isAlive($0) }) { result.childrenGone = ContinuousClock.now - started }
        if result.filesGone == nil, access(directory, F_OK) != 0, !socketsListed(withPrefix: directory) {
            result.filesGone = ContinuousClock.now - started
        }
        try await Task.sleep(for: .microseconds(200))
    }
    return result
}

/// Whether /proc/net/unix lists a socket whose name starts with `prefix`.
func socketsListed(withPrefix prefix: String) -> Bool {
    guard let table = ProcFS.read("/proc/net/unix") else { return false }
    return String(decoding: table, as: UTF8.self).split(separator: "\n").contains { $0.split(separator: " ").last?.hasPrefix(prefix) == true }
}
