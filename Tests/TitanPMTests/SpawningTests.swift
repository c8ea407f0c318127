import Glibc
import Testing
import TitanPMTestKit
@testable import TitanPM
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// Waits for the exit of a pid launched by the test, through the shared watcher.
private func exitOf(_ pid: Int32) async throws -> Termination {
    let status = try await ExitWatcher.shared.waitForExit(of: pid, timeout: .seconds(20))
    return try #require(status)
}

private func launch(_ executable: String, _ arguments: [String], descriptors: [(parentFD: Int32, childFD: Int32)] = [], workingDirectory: String? = nil, environment: [String: String] = ["PATH": "/usr/bin:/bin"]) async throws -> Int32 {
    try await ChildLauncher.shared.launch(LaunchRequest(
        executable: executable, arguments: arguments, environment: environment,
        workingDirectory: workingDirectory, descriptors: descriptors
    ))
}

/// Runs `sh -c script` with the child's stdout connected to a pipe; returns what it printed.
private func output(of script: String, workingDirectory: String? = nil, environment: [String: String] = ["PATH": "/usr/bin:/bin"], extra: [(parentFD: Int32, childFD: Int32)] = []) async throws -> (String, Termination) {
    let (readEnd, writeEnd) = try UnixSocket.pair()
    defer { close(readEnd) }
    let pid = try await launch("/bin/sh", ["-c", script], descriptors: [(writeEnd, 1)] + extra, workingDirectory: workingDirectory, environment: environment)
    close(writeEnd)
    var bytes: [UInt8] = []
    while let chunk = UnixSocket.readSome(readEnd, timeout: .seconds(20)) { bytes += chunk }
    return (String(decoding: bytes, as: UTF8.self), try await exitOf(pid))
}

extension TitanPMTests {
    /// Launching, reaping and /proc, with plain programs as children.
    @Suite struct Spawning {
        @Test func exitCodesAndSignalsAreReported() async throws {
            #expect(try await exitOf(launch("/bin/sh", ["-c", "exit 3"])) == .exited(code: 3))
            #expect(try await exitOf(launch("/bin/true", [])) == .exited(code: 0))
            let sleeper = try await launch("/bin/sleep", ["100"])
            kill(sleeper, SIGKILL)
            #expect(try await exitOf(sleeper) == .signaled(.kill))
        }

        @Test func missingExecutableIsATypedFailure() async throws {
            do {
                _ = try await launch("/nonexistent/program", [])
                Issue.record("launch should fail")
            } catch let failure as SpawnFailure {
                #expect(failure.errno == ENOENT)
                #expect(failure.description.contains("/nonexistent/program"))
            }
        }

        @Test func argumentsEnvironmentAndDirectoryReachTheChild() async throws {
            let (text, status) = try await output(of: "echo \"$1:$TITAN_X\"; pwd", workingDirectory: "/tmp", environment: ["TITAN_X": "42", "PATH": "/usr/bin:/bin"])
            #expect(status == .exited(code: 0))
            #expect(text == ":42\n/tmp\n")
        }

        @Test func onlyPassedDescriptorsAreInherited() async throws {
            // A descriptor without close-on-exec, deliberately: it must still not leak.
            var fds: [Int32] = [-1, -1]
            #expect(pipe(&fds) == 0)
            defer { close(fds[0]); close(fds[1]) }
            let (text, _) = try await output(of: "ls /proc/self/fd | sort -n | tr '\\n' ' '")
            // 0, 1, 2, and the descriptor ls opens for /proc/self/fd itself.
            #expect(text.split(separator: " ").count == 4, "child descriptors: \(text)")
            let (passed, _) = try await output(of: "echo through-five >&5", extra: [(fds[1], 5)])
            #expect(passed.isEmpty)
            #expect(UnixSocket.readSome(fds[0], timeout: .seconds(5)).map { String(decoding: $0, as: UTF8.self) } == "through-five\n")
        }

        @Test func childThatExitedBeforeWatchIsStillReported() async throws {
            let pid = try await launch("/bin/true", [])
            // Wait until it is a zombie: exited, not reaped.
            #expect(await eventually { !ProcFS.isAlive(pid) && ProcFS.parent(of: pid) == getpid() })
            #expect(try await exitOf(pid) == .exited(code: 0))
            #expect(ProcFS.parent(of: pid) == nil)
        }

        @Test func waitForExitTimesOutForALiveChild() async throws {
            let pid = try await launch("/bin/sleep", ["100"])
            let started = ContinuousClock.now
            let first = try await ExitWatcher.shared.waitForExit(of: pid, timeout: .milliseconds(100))
            #expect(first == nil)
            #expect(ContinuousClock.now - started >= .milliseconds(100))
            #expect(ProcFS.isAlive(pid))
            // The watch outlives the timed-out wait: the child is still reaped when it ends.
            kill(pid, SIGTERM)
            #expect(await eventually { !ProcFS.childPIDs(of: getpid()).contains(pid) })
        }

        @Test func fiftyLaunchKillCyclesLeaveNothingBehind() async throws {
            _ = try await exitOf(launch("/bin/true", []))
            let fds = ProcFS.openDescriptorCount()
            let children = ProcFS.childPIDs(of: getpid())
            for _ in 0..<50 {
                let pid = try await launch("/bin/sleep", ["100"])
                kill(pid, SIGKILL)
                #expect(try await exitOf(pid) == .signaled(.kill))
            }
            #expect(ProcFS.childPIDs(of: getpid()) == children)
            #expect(await eventually { ProcFS.openDescriptorCount() == fds })
        }

        @Test func procReadings() async throws {
            #expect((ProcFS.residentBytes(of: getpid()) ?? 0) > 1 << 20)
            let busy = try await launch("/bin/sh", ["-c", "while :; do :; done"])
            defer { kill(busy, SIGKILL) }
            #expect(ProcFS.childPIDs(of: getpid()).contains(busy))
            #expect(ProcFS.isAlive(busy))
            #expect(await eventually { (ProcFS.cpuTime(of: busy) ?? .zero) >= .milliseconds(50) })
            kill(busy, SIGKILL)
            _ = try await exitOf(busy)
            #expect(!ProcFS.childPIDs(of: getpid()).contains(busy))
            #expect(!ProcFS.isAlive(busy))
        }
    }
}
