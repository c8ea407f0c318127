import Glibc
import Testing
import TitanPMTestKit
import TitanTestServices
@testable import TitanPM
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// The names in `directory`.
private func entries(_ directory: String) -> Set<String> {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var names: Set<String> = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != "." && name != ".." { names.insert(name) }
    }
    return names
}

private func writeFile(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    _ = text.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
    close(fd)
}

/// Whether this process may choose the next pid (root in its pid namespace).
private let canChooseNextPID = geteuid() == 0 && access("/proc/sys/kernel/ns_last_pid", W_OK) == 0

/// Starts `sleep 60` with pid `wanted` (by setting ns_last_pid), or nil if another process
/// took that pid first twenty times.
private func decoy(withPID wanted: Int32) -> Int32? {
    for _ in 0..<20 {
        writeFile("/proc/sys/kernel/ns_last_pid", String(wanted - 1))
        var pid: pid_t = 0
        let words: [String] = ["/bin/sleep", "60"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0 else { return nil }
        if pid == wanted { return pid }
        kill(pid, SIGKILL) // our own unreaped child: its pid cannot have been reused
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
    return nil
}

extension TitanPMTests {
    /// Issue #13, items 4 and 5: nothing in the file system, and signals, can be turned on others.
    @Suite struct SecurityFilesAndSignals {
        @Test func nothingIsCreatedOrRemovedInTheFileSystem() async throws {
            // Item 4 asked that cleanup never follow a swapped directory and that a long
            // TMPDIR not silently fall back to /tmp. Children now listen in the abstract
            // namespace: there is no socket directory to swap, to fall back from, or to clean.
            // A TMPDIR that is long, and is a link another user could have swapped, is not
            // touched, and neither is /tmp.
            var base = makeTemporaryDirectory("titan-long")
            let top = base
            let link = makeTemporaryDirectory("titan-link") + "/tmpdir"
            defer {
                unlink(link)
                rmdir(String(link[..<link.lastIndex(of: "/")!]))
                var path = base
                while path.count >= top.count {
                    for name in entries(path) { rmdir("\(path)/\(name)") }
                    rmdir(path)
                    path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
                }
            }
            while base.utf8.count < 180 {
                base += "/a-directory-with-a-long-name"
                #expect(mkdir(base, 0o700) == 0)
            }
            writeFile("\(base)/keep.txt", "not the manager's")
            #expect(symlink(base, link) == 0)
            let tmpBefore = entries("/tmp").filter { $0.hasPrefix("titan-") && !$0.hasPrefix("titan-long") && !$0.hasPrefix("titan-link") }
            try await withProcessManager { pm in
                let options = SpawnOptions(environment: ["TMPDIR": link], restartPolicy: .onFailure(backoff: .none))
                let calc = try await pm.spawn(Calculator.self, options: options)
                #expect(try await calc.environment("TMPDIR") == link)
                let events = EventRecorder(pm)
                try pm.kill(calc.id.process)
                try await events.first("crashed") { $0.process == calc.id.process && $0.status == .crashed }
                try await pm.awaitRecovery(of: calc.id.process)
                let client = try await connectRaw(pm, calc.id.process)
                defer { client.connection.close() }
                let reply = try await client.exchange(recordedAddCall(pm.actorSystem), timeout: .seconds(5))
                #expect(try WireDecoder().decode(Int.self, from: reply.payload) == 3)
                #expect(try pm.introduction(to: calc.id.process).socketPath.hasPrefix("@"))
            }
            #expect(entries(base) == ["keep.txt"])
            let tmpAfter = entries("/tmp").filter { $0.hasPrefix("titan-") && !$0.hasPrefix("titan-long") && !$0.hasPrefix("titan-link") }
            #expect(tmpAfter.subtracting(tmpBefore).isEmpty, "new in /tmp: \(tmpAfter.subtracting(tmpBefore))")
        }

        @Test(.enabled(if: canChooseNextPID, "needs root to place a process at a chosen pid"))
        func signalsAfterTheChildWasReapedReachNoProcessThatReusedItsPID() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let child = try #require(pm.currentChild(of: calc.id.process))
                let pid = child.pid
                try pm.kill(calc.id.process)
                #expect(await child.waitForExit(until: pm.actorSystem.clock.deadline(after: .seconds(5))) != nil)
                let reused = try #require(decoy(withPID: pid), "could not place a process at pid \(pid)")
                defer {
                    kill(reused, SIGKILL) // our own unreaped child
                    var status: Int32 = 0
                    waitpid(reused, &status, 0)
                }
                // Every way the runtime signals the old incarnation now reaches nothing.
                #expect(!child.signal(.kill))
                #expect(!child.signal(.terminate))
                _ = await KillLadder(grace: .milliseconds(50)).stop(child, clock: pm.actorSystem.clock)
                #expect(throws: ProcessError.self) { try pm.kill(calc.id.process) }
                try await pm.stop(calc.id.process, timeout: .milliseconds(50))
                #expect(isAlive(reused), "a process that reused the child's pid was signalled")
            }
        }
    }
}
