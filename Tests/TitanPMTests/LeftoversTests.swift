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

/// The Unix sockets bound in the abstract namespace whose names start with `prefix` (without
/// its `@`), as /proc/net/unix lists them.
func abstractSockets(withPrefix prefix: String) -> [String] {
    guard let table = readFile("/proc/net/unix") else { return [] }
    return table.split(separator: "\n").compactMap { line in
        guard let name = line.split(separator: " ").last, name.hasPrefix("@" + prefix.drop { $0 == "@" }) else { return nil }
        return String(name)
    }
}

extension TitanPMTests {
    /// Nothing of a manager or its children is left behind, however the manager ends.
    @Suite struct Leftovers {
        @Test(arguments: ["SIGKILL", "SIGTERM", "exit(0)"])
        func aParentThatEndsWithoutShutdownLeavesNoSocket(_ ending: String) async throws {
            let parent = try await HostParent.start(["parent", "3"] + (ending == "exit(0)" ? ["exit"] : []))
            defer { close(parent.output) }
            #expect(parent.children.count == 3)
            #expect(!parent.sockets.isEmpty)
            switch ending {
            case "SIGKILL": kill(parent.pid, SIGKILL)
            case "SIGTERM": kill(parent.pid, SIGTERM)
            default: break // it exits by itself once ready
            }
            let exit = try await ExitWatcher.shared.waitForExit(of: parent.pid, timeout: .seconds(20))
            let expected: Termination = switch ending {
            case "SIGKILL": .signaled(.kill)
            case "SIGTERM": .signaled(.terminate)
            default: .exited(code: 0)
            }
            #expect(exit == expected)
            #expect(await eventually { parent.children.allSatisfy { !isAlive($0) } })
            // No socket in the file system, none left listening.
            #expect(await eventually { access(parent.sockets, F_OK) != 0 && abstractSockets(withPrefix: parent.sockets).isEmpty },
                    "left: \(parent.sockets) \(abstractSockets(withPrefix: parent.sockets))")
        }

        @Test func childrenListenOnlyInTheAbstractNamespace() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let recorder = EventRecorder(pm)
                let prefix = try #require(pm.socketDirectoryPath)
                #expect(prefix.hasPrefix("@"))
                // Only the listener for introduced callers (and the manager's own mesh endpoint):
                // the manager's own calls go on the child's socketpair, which has no name.
                let mesh = "\(prefix)/mesh"
                #expect(Set(abstractSockets(withPrefix: prefix)) == [try pm.introduction(to: calc.id.process).socketPath, mesh])
                try pm.kill(calc.id.process)
                _ = try await recorder.first("failed") { $0.status == .failed }
                #expect(await eventually { abstractSockets(withPrefix: prefix) == [mesh] })
            }
        }

        @Test(.enabled(if: geteuid() == 0, "needs root to act as another user"))
        func onlyThisUsersProcessesAreServed() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let path = try pm.introduction(to: calc.id.process).socketPath
                // Another user is closed on at once, before a byte is read (SO_PEERCRED); the
                // same user gets as far as the hello, which must carry the child's secret.
                for (uid, expected) in [(65534, "refused: closed without a word\n"), (0, "refused: authentication failed")] {
                    let (readEnd, writeEnd) = try UnixSocket.pair()
                    defer { close(readEnd) }
                    let pid = try await ChildLauncher.shared.launch(LaunchRequest(
                        executable: testHostPath, arguments: ["connect-as", String(uid), path],
                        environment: ["PATH": "/usr/bin:/bin"], descriptors: [(parentFD: writeEnd, childFD: 1)]
                    ))
                    close(writeEnd)
                    var output: [UInt8] = []
                    while let chunk = UnixSocket.readSome(readEnd, timeout: .seconds(20)) { output += chunk }
                    _ = try await ExitWatcher.shared.waitForExit(of: pid, timeout: .seconds(20))
                    let said = String(decoding: output, as: UTF8.self)
                    #expect(said.hasPrefix(expected), "as uid \(uid): \(said)")
                }
                #expect(try await calc.add(1, 2) == 3)
            }
        }

        @Test func processesAServiceStartedDoNotSurviveShutdownOrACrash() async throws {
            var sleepers: [Int32] = []
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(restartPolicy: .onFailure(backoff: .none)))
                let first = try await calc.startSleeper()
                #expect(first > 0 && isAlive(first))
                try await pm.simulateCrash(of: calc.id.process)
                #expect(await eventually { !isAlive(first) }, "the sleeper outlived its service's crash")
                try await pm.awaitRecovery(of: calc.id.process)
                let second = try await calc.startSleeper()
                #expect(isAlive(second))
                sleepers = [first, second]
            }
            #expect(await eventually { sleepers.allSatisfy { !isAlive($0) } }, "a sleeper outlived pm.shutdown()")
        }
    }
}
