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

private func launch(
    _ executable: String,
    _ arguments: [String],
    descriptors: [(parentFD: Int32, childFD: Int32)] = [],
    workingDirectory: String? = nil,
    environment: [String: String] = ["PATH": "/usr/bin:/bin"],
    image: ExecutableImage? = nil,
    limits: [RlimitSetting] = []
) async throws -> Int32 {
    try await ChildLauncher.shared.launch(LaunchRequest(
        executable: executable, arguments: arguments, environment: environment,
        workingDirectory: workingDirectory, descriptors: descriptors, image: image, limits: limits
    ))
}

/// Runs `sh -c script` with the child's stdout connected to a pipe; returns what it printed.
private func output(
    of script: String,
    workingDirectory: String? = nil,
    environment: [String: String] = ["PATH": "/usr/bin:/bin"],
    extra: [(parentFD: Int32, childFD: Int32)] = [],
    shell: String = "/bin/sh",
    image: ExecutableImage? = nil,
    limits: [RlimitSetting] = []
) async throws -> (String, Termination) {
    let (readEnd, writeEnd) = try UnixSocket.pair()
    defer { close(readEnd) }
    let pid = try await launch(
        shell, ["-c", script], descriptors: [(writeEnd, 1)] + extra, workingDirectory: workingDirectory,
        environment: environment, image: image, limits: limits
    )
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

        @Test func descriptorsThatSwapNumbersAreInstalledCorrectly() async throws {
            // Sources at the very numbers the other targets use: a naive dup2 order clobbers one.
            var a: [Int32] = [-1, -1]
            var b: [Int32] = [-1, -1]
            #expect(pipe(&a) == 0 && pipe(&b) == 0)
            #expect(dup2(a[1], 8) == 8 && dup2(b[1], 9) == 9)
            close(a[1])
            close(b[1])
            defer { close(a[0]); close(b[0]); close(8); close(9) }
            let (_, status) = try await output(of: "echo to-a >&9; echo to-b >&8", extra: [(8, 9), (9, 8)])
            #expect(status == .exited(code: 0))
            #expect(UnixSocket.readSome(a[0], timeout: .seconds(5)).map { String(decoding: $0, as: UTF8.self) } == "to-a\n")
            #expect(UnixSocket.readSome(b[0], timeout: .seconds(5)).map { String(decoding: $0, as: UTF8.self) } == "to-b\n")
        }

        @Test func childStartsWithDefaultSignalsAnEmptyMaskItsOwnGroupAndItsLimits() async throws {
            // This process blocks and ignores signals of its own; none of that reaches the child.
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGUSR1)
            var previousMask = sigset_t()
            pthread_sigmask(SIG_BLOCK, &blocked, &previousMask)
            let previousHandler = signal(SIGUSR2, SIG_IGN)
            defer {
                pthread_sigmask(SIG_SETMASK, &previousMask, nil)
                signal(SIGUSR2, previousHandler)
            }
            let script = "grep -E '^(SigBlk|SigIgn)' /proc/self/status | tr -d ' \\t'; cut -d' ' -f5 /proc/self/stat; echo $$; ulimit -n"
            let nofile = RlimitSetting(resource: Int32(RLIMIT_NOFILE.rawValue), soft: 77, hard: 77)
            let (text, status) = try await output(of: "sh -c \"\(script)\"", limits: [nofile])
            #expect(status == .exited(code: 0))
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines.count == 5, "\(text)")
            guard lines.count == 5 else { return }
            #expect(lines[0] == "SigBlk:0000000000000000")
            #expect(lines[1] == "SigIgn:0000000000000000")
            #expect(lines[2] != String(getpgrp()), "the child leads a group of its own")
            #expect(lines[4] == "77")
        }

        @Test func anOpenImageRunsWhateverItsPathNamesNow() async throws {
            let image = try ExecutableImage.open(path: "/bin/sh")
            // The path given as the program is only argv[0]; the open file is what runs.
            let (text, status) = try await output(of: "echo from-image", shell: "/nonexistent/renamed-shell", image: image)
            #expect(status == .exited(code: 0))
            #expect(text == "from-image\n")
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
            #expect(await eventually { ProcFS.openDescriptorCount() <= fds }, "a leak adds descriptors; other suites running meanwhile may close some")
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
