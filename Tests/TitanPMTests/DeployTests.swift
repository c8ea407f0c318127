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

/// A private directory with a copy of `titan-test-host`, removed afterwards.
private final class DeployDirectory {
    let path: String
    let host: String

    init() throws {
        var template = Array("/tmp/titan-deploy-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ProcessError.startFailed("mkdtemp: \(errno)")
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        host = "\(path)/host"
        try copyFile(testHostPath, to: host)
    }

    /// Writes a different build (the host plus one byte) next to the host and renames it over
    /// the host: what a deploy does.
    func deployNewBuild() throws {
        let staged = "\(path)/host.new"
        try copyFile(testHostPath, to: staged, appending: [0x0a])
        guard rename(staged, host) == 0 else { throw ProcessError.startFailed("rename: \(errno)") }
    }

    deinit {
        for name in directoryEntries(path) { unlink("\(path)/\(name)") }
        rmdir(path)
    }
}

private func copyFile(_ source: String, to destination: String, appending extra: [UInt8] = []) throws {
    guard var bytes = readBytes(source) else { throw ProcessError.startFailed("cannot read \(source)") }
    bytes += extra
    let fd = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    guard fd >= 0 else { throw ProcessError.startFailed("cannot create \(destination): \(errno)") }
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw ProcessError.startFailed("write \(destination): \(errno)") }
        offset += n
    }
}

private func readBytes(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes
}

private func identity(of path: String) -> String? {
    ImageIdentity(path: path)?.description
}

extension TitanPMTests {
    /// Replacing the executable on disk while the manager runs (a deploy): children keep
    /// running the build their parent runs until a reload.
    @Suite struct Deploy {
        @Test func childrenStartedAfterTheFileIsReplacedRunTheParentsBuild() async throws {
            let directory = try DeployDirectory()
            let original = try #require(identity(of: directory.host))
            try await withProcessManager { pm in
                // The probe is a parent of its own, started from the copy.
                let probe = try await pm.spawn(DeployProbe.self, options: SpawnOptions(executable: directory.host))
                #expect(try await probe.image() == original)
                let before = try await probe.spawnCalculator()
                #expect(before.sameAsParent)
                let pool = try await probe.startPool(size: 2)
                #expect(pool.count == 2)

                try directory.deployNewBuild()
                #expect(identity(of: directory.host) != original)

                // New spawns, and a pool's replacement for a worker that died, still start and
                // run the probe's own build — not the new file, and not a failure.
                let after = try await probe.spawnCalculator()
                #expect(after.sameAsParent)
                #expect(after.image == original)
                let replacement = try await probe.replacePoolWorker()
                #expect(replacement.sameAsParent)
                #expect(!pool.contains(replacement.pid))
                #expect(try await probe.poolSize() == 2)
            }
        }

        @Test func aRestartRunsTheBuildTheProcessWasStartedFrom() async throws {
            let directory = try DeployDirectory()
            let original = try #require(identity(of: directory.host))
            try await withProcessManager { pm in
                let options = SpawnOptions(executable: directory.host, restartPolicy: .onFailure(backoff: .none))
                let probe = try await pm.spawn(DeployProbe.self, options: options)
                try directory.deployNewBuild()
                try await pm.simulateCrash(of: probe.id.process)
                try await pm.awaitRecovery(of: probe.id.process)
                #expect(try await probe.image() == original)
            }
        }

        @Test func aChildRunningAnotherBuildIsRefused() async throws {
            let directory = try DeployDirectory()
            let clock = ManualClock()
            try await withProcessManager(clock: clock) { pm in
                let recorder = EventRecorder(pm)
                let options = SpawnOptions(
                    executable: directory.host,
                    restartPolicy: .onFailure(maxRestarts: 1, backoff: .constant(.seconds(1)))
                )
                let calc = try await pm.spawn(Calculator.self, options: options)
                let id = calc.id.process
                try pm.kill(id)
                _ = try await recorder.first("restarting") { $0.process == id && $0.status == .restarting }
                // Nobody runs the file now: rewrite it in place (same inode, another build).
                let fd = open(directory.host, O_WRONLY | O_APPEND | O_CLOEXEC)
                #expect(fd >= 0)
                var byte: UInt8 = 0x0a
                #expect(write(fd, &byte, 1) == 1)
                close(fd)
                await clock.waitForTimers()
                clock.advance(by: .seconds(1))
                let refused = try await recorder.first("refused") { $0.process == id && $0.status == .crashed && $0.reason != nil }
                #expect(refused.reason?.contains("another build") == true, "\(refused)")
                #expect(pm.process(id: id)?.pid == nil)
            }
        }
    }
}
