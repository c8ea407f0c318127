import CTitan
import Distributed
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

/// Runs `titan-test-host intrude PATH PID` (an unrelated process of the same user) and
/// returns its "attempt: outcome" lines.
private func intrudeFromAnotherProcess(path: String, pid: Int32) throws -> [String: String] {
    var pipe: [Int32] = [-1, -1]
    #expect(Glibc.pipe(&pipe) == 0)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
    posix_spawn_file_actions_addclose(&actions, pipe[0])
    var child: pid_t = 0
    let words: [String] = [testHostPath, "intrude", path, String(pid)]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    #expect(posix_spawn(&child, testHostPath, &actions, nil, argv, environ) == 0)
    close(pipe[1])
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(pipe[0], &buffer, buffer.count)
        if n <= 0 { break }
        output += buffer[0..<n]
    }
    close(pipe[0])
    var status: Int32 = 0
    waitpid(child, &status, 0)
    var results: [String: String] = [:]
    for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        results[String(line[..<colon])] = String(line[line.index(colon, offsetBy: 2)...])
    }
    return results
}

/// Every attempt must have been refused, and there must have been six.
private func expectAllRefused(_ results: [String: String], _ who: String) {
    #expect(results.count == 6, "\(who): \(results)")
    for (attempt, outcome) in results {
        #expect(outcome.hasPrefix("refused"), "\(who) \(attempt): \(outcome)")
    }
    #expect(results["helloWithoutProof"]?.contains("authentication failed") == true, "\(results)")
    #expect(results["helloWithGuessedProof"]?.contains("authentication failed") == true, "\(results)")
}

/// A service whose type is private to this file: its methods' targets name it with a private
/// discriminator, which the runtime cannot resolve.
private distributed actor PrivateCounter: ProcessService {
    static let name = "private-counter"
    var count = 0

    distributed func increment() -> Int {
        count += 1
        return count
    }
}

extension TitanPMTests {
    /// Issue #13: only the manager commands a child, and no peer can crash, exhaust or trick it.
    @Suite struct Security {
        // MARK: 1. Targets of another type

        @Test func aMethodOfAnotherActorTypeIsRefusedAndTheChildKeepsServing() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let pid = try await calc.pid()
                // The calculator's id resolved as a key-value store: `get` is not a Calculator method.
                let store = try KeyValueStore.resolve(id: calc.id, using: pm.actorSystem)
                do {
                    _ = try await store.get("key")
                    Issue.record("a KeyValueStore method ran on a Calculator")
                } catch let error as ProcessError {
                    #expect(error.code == .unknownTarget, "\(error)")
                    #expect(error.message.contains("KeyValueStore"))
                }
                await #expect(throws: ProcessError.self) { try await store.set("key", "value") }
                #expect(try await calc.add(2, 3) == 5)
                #expect(try await calc.pid() == pid)
                #expect(pm.process(id: calc.id.process)?.restarts == 0)
            }
        }

        @Test func aPrivateServiceTypeIsRefusedWithAnErrorThatSaysWhy() async throws {
            try await withProcessManager { pm in
                // Its methods' targets carry a discriminator the runtime cannot resolve, so they
                // cannot be proven to be its own: refused, and told so.
                let counter = try await pm.spawn(PrivateCounter.self, options: SpawnOptions(isolation: .inProcess))
                do {
                    _ = try await counter.increment()
                    Issue.record("a method of a private type ran unchecked")
                } catch let error as ProcessError {
                    #expect(error.code == .unknownTarget)
                    #expect(error.message.contains("must be internal or public"), "\(error)")
                }
            }
        }

        @Test func theOwnerOfATargetIsReadFromItsMangledName() {
            let cases: [(String, String?)] = [
                ("$s17TitanTestServices10CalculatorC3addyS2i_SitYaKFTE", "TitanTestServices.Calculator"),
                ("$s17TitanTestServices9$GreetingC5greetyS2SYaKFTE", "TitanTestServices.$Greeting"),
                ("$s17TitanTestServices10CalculatorC4echoyxxYaKSeRzSERzs8SendableRzlFTE", "TitanTestServices.Calculator"),
                ("$s12TitanPMTests14PrivateCounter33_7F2CF9E1F1AA70C1C3D42B2FF79DA13ELLC9incrementSiyYaKFTE",
                 "TitanPMTests.(PrivateCounter in _7F2CF9E1F1AA70C1C3D42B2FF79DA13E)"),
                ("$s17TitanTestServices10CalculatorC5InnerC3addyS2i_SitYaKFTE", "TitanTestServices.Calculator.Inner"),
                ("$s17TitanTestServices10CalculatorC3addyS2i_SitF", nil),   // not a distributed thunk
                ("$", nil), ("$sTE", nil), ("", nil), ("$s\u{1}\u{0}TE", nil), (String(repeating: "$s1", count: 500) + "TE", nil),
            ]
            for (target, owner) in cases {
                #expect(TargetOwnership.owner(ofTarget: target) == owner, "\(target)")
            }
        }

        @Test func aWrongResolvableProtocolIsRefusedAndTheChildKeepsServing() async throws {
            try await withProcessManager { pm in
                // A calculator resolved as a Greeting: `greet` is not among its methods. (Spawned
                // by name as a Greeting it is refused before any call: the contract check.)
                let calculator = try await pm.spawn(Calculator.self)
                let wrong = try $Greeting.resolve(id: calculator.id, using: pm.actorSystem)
                do {
                    _ = try await wrong.greet("titan")
                    Issue.record("greet ran on a Calculator")
                } catch let error as ProcessError {
                    #expect(error.code == .unknownTarget, "\(error)")
                }
                let calc = try Calculator.resolve(id: wrong.id, using: pm.actorSystem)
                #expect(try await calc.add(40, 2) == 42)
                #expect(pm.process(id: wrong.id.process)?.status == .running)
                // The right protocol on a conforming service still works.
                let greeter = try await pm.spawn(service: "greeter", as: $Greeting.self, options: SpawnOptions(executable: testHostPath))
                #expect(try await greeter.greet("titan").hasPrefix("hello titan"))
            }
        }

        // MARK: 2. Authentication

        @Test func anotherProcessOfTheSameUserIsRefused() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let introduction = try pm.introduction(to: calc.id.process)
                let results = try intrudeFromAnotherProcess(path: introduction.socketPath, pid: introduction.pid)
                expectAllRefused(results, "another process")
                // Nothing reached the service, and the shutdown request did not stop it.
                #expect(try await calc.callCount() == 0)
                #expect(try await calc.add(1, 1) == 2)
                #expect(pm.process(id: calc.id.process)?.status == .running)
            }
        }

        @Test func aSiblingChildIsRefused() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let intruder = try await pm.spawn(Intruder.self)
                let introduction = try pm.introduction(to: calc.id.process)
                let results = try await intruder.attack(path: introduction.socketPath, pid: introduction.pid)
                expectAllRefused(results, "a sibling")
                #expect(try await calc.callCount() == 0)
                #expect(pm.process(id: calc.id.process)?.status == .running)
            }
        }

        @Test func theSecretAndTheSocketAreNotInTheChildsEnvironmentOrArguments() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let introduction = try pm.introduction(to: calc.id.process)
                for file in ["environ", "cmdline"] {
                    let bytes = try #require(ProcFS.read("/proc/\(introduction.pid)/\(file)"))
                    let text = String(decoding: bytes, as: UTF8.self)
                    #expect(!text.contains("TITAN_PM_SOCKET"))
                    #expect(!text.contains(introduction.socketPath.dropFirst()))
                    #expect(!bytes.indices.contains { bytes[$0...].starts(with: introduction.secret.bytes) })
                }
                // What the child itself sees in its environment: no Titan variable at all.
                #expect(try await calc.environment("TITAN_PM_PROCESS_ID") == nil)
            }
        }

        @Test func controlRequestsAreTakenOnlyOnTheControlChannel() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let introduced = try await connectRaw(pm, calc.id.process)
                defer { introduced.connection.close() }
                let managers = try #require(pm.currentChild(of: calc.id.process)?.client)
                // A graceful shutdown for 0 s, as a `control` frame: refused from an introduced
                // caller, and on the manager's own calls' connection too (one control path).
                for (who, client) in [("an introduced caller", introduced), ("the manager's calls' connection", managers)] {
                    var frame = FrameBuilder(kind: .control)
                    frame.writer.writeBytes(ControlRequest.shutdown(timeout: .zero).payload)
                    let answer = try await client.exchange(frame, timeout: .seconds(5))
                    #expect(answer.kind == .failure, "\(who)")
                    var reader = answer.reader
                    let error = RemoteFailure.read(from: &reader, decoder: WireDecoder())
                    #expect((error as? ProcessError)?.code == .unsupported, "\(who): \(error)")
                }
                #expect(try await calc.add(2, 2) == 4)
                #expect(pm.process(id: calc.id.process)?.status == .running)
                // The manager, on the control channel, still can.
                try await pm.stop(calc.id.process)
                #expect(pm.process(id: calc.id.process)?.status == .stopped)
            }
        }

        @Test func aHostileChildCannotCrashItsManagerWithAForgedErrorType() async throws {
            try await withProcessManager { pm in
                let intruder = try await pm.spawn(Intruder.self)
                // The forged failure answers this very call: the first on the connection, id 1.
                do {
                    let written = try await intruder.forgeFailures(count: 1)
                    Issue.record("the real reply won over the forged failure (\(written) written)")
                } catch let error as ProcessError {
                    #expect(error.code == .remote, "\(error)")
                    #expect(error.remoteType == "Forged")
                }
                // This process is alive to say so, and the child still answers.
                #expect(try await intruder.forgeFailures(count: 0) == 0)
            }
        }

        @Test func aListeningNameTakenBeforeARestartDoesNotStopIt() async throws {
            // Abstract names cannot be unlinked by whoever wants them back: each incarnation
            // listens under a name with a random part, which no other process can take first.
            let clock = ManualClock()
            try await withProcessManager(clock: clock) { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(
                    callTimeout: nil, restartPolicy: .onFailure(maxRestarts: 5, within: .seconds(60), backoff: .constant(.seconds(30)))
                ))
                let first = try pm.introduction(to: calc.id.process)
                let events = EventRecorder(pm)
                try await pm.simulateCrash(of: calc.id.process)
                try await events.first("restarting") { $0.status == .restarting }
                // A process of the same user takes the name the crashed incarnation listened on.
                let squatter = try UnixSocket.listen(path: first.socketPath)
                defer { close(squatter) }
                await clock.waitForTimers()
                clock.advance(by: .seconds(30))
                try await pm.awaitRecovery(of: calc.id.process)
                let second = try pm.introduction(to: calc.id.process)
                #expect(second.socketPath != first.socketPath)
                #expect(second.socketPath.hasPrefix(try #require(pm.socketDirectoryPath) + "/"))
                #expect(try await calc.add(2, 3) == 5)
                let client = try await connectRaw(pm, calc.id.process)
                defer { client.connection.close() }
                let reply = try await client.exchange(recordedAddCall(pm.actorSystem), timeout: .seconds(5))
                #expect(try WireDecoder().decode(Int.self, from: reply.payload) == 3)
            }
        }

        @Test func aHostileChildCannotGrowItsManagerThroughTheControlChannel() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let intruder = try await pm.spawn(Intruder.self)
                let events = EventRecorder(pm)
                let before = try #require(ProcFS.residentBytes(of: getpid()))
                // A reply announced as 4 GiB, and 64 MiB of it: the manager ends the channel at
                // the announcement, and the child, its control channel gone, exits.
                _ = try? await intruder.floodControlChannel(megabytes: 64)
                try await events.first("the intruder ended") {
                    $0.process == intruder.id.process && ([.crashed, .failed, .stopped] as [ProcessStatus]).contains($0.status)
                }
                let after = try #require(ProcFS.residentBytes(of: getpid()))
                #expect(after < before + 32 << 20, "the manager grew from \(before) to \(after) bytes")
                #expect(try await calc.add(1, 2) == 3)
            }
        }

        @Test func theSecretIsSentOnlyToTheIntroducedProcess() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let real = try pm.introduction(to: calc.id.process)
                // A socket planted by another process (here: this one) under a name of the
                // manager's, where the introduced caller is sent.
                let base = try #require(pm.socketDirectoryPath)
                let plantedPath = "\(base)/planted"
                let planted = try UnixSocket.listen(path: plantedPath)
                defer { close(planted) }
                await #expect(throws: ProcessError.self) {
                    _ = try await CallClient.connect(to: real, path: plantedPath, maxFrameSize: 1 << 20, timeout: .seconds(5), callerName: "test") { _, _ in }
                }
                // The connection was made, and closed without a byte: no hello, no secret.
                let accepted = titan_accept_cloexec(planted)
                #expect(accepted >= 0)
                defer { close(accepted) }
                #expect(UnixSocket.readSome(accepted, timeout: .seconds(5)) == nil)
            }
        }
    }
}
