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

extension TitanPMTests {
    /// What calls get around kills, restarts and the end of a process — as the README says.
    @Suite struct Semantics {
        @Test func aCallMadeRightAfterKillReturnsWaitsForTheRestart() async throws {
            try await withProcessManager { pm in
                let options = SpawnOptions(restartPolicy: .onFailure(maxRestarts: 1000, backoff: .none))
                let calc = try await pm.spawn(Calculator.self, options: options)
                for round in 0..<30 {
                    try pm.kill(calc.id.process)
                    // Never the dying incarnation: this call waits for the next one.
                    #expect(try await calc.add(round, 1) == round + 1)
                }
                #expect(pm.process(id: calc.id.process)?.restarts == 30)
            }
        }

        @Test func aCallRightAfterKillWithoutARestartFailsWithNotRunning() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                try pm.kill(calc.id.process)
                await #expect(throws: ProcessError.notRunning(calc.id.process, .failed, lastExit: .signaled(.kill))) {
                    try await calc.add(1, 1)
                }
            }
        }

        @Test func callsToAProcessWhoseRestartsAreUsedUpFailWithNotRunning() async throws {
            try await withProcessManager { pm in
                let options = SpawnOptions(restartPolicy: .onFailure(maxRestarts: 1, backoff: .none))
                let calc = try await pm.spawn(Calculator.self, options: options)
                let id = calc.id.process
                try await pm.simulateCrash(of: id)
                try await pm.awaitRecovery(of: id)
                let recorder = EventRecorder(pm)
                try await pm.simulateCrash(of: id)
                try await recorder.first("gave up") { $0.process == id && $0.status == .failed }
                do {
                    _ = try await calc.add(1, 1)
                    Issue.record("the call succeeded")
                } catch let error as ProcessError {
                    #expect(error.code == .notRunning)
                    #expect(error.status == .failed)
                    #expect(error.termination == .signaled(.kill))
                }
            }
        }

        @Test func aCrashWithoutARestartEndsInATerminalStatus() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(restartPolicy: .never))
                let recorder = EventRecorder(pm)
                try pm.kill(calc.id.process)
                let failed = try await recorder.first("failed") { $0.status == .failed }
                #expect(failed.exitStatus == .signaled(.kill))
                #expect(recorder.events.map(\.status) == [.crashed, .failed])
                let info = try #require(pm.process(id: calc.id.process))
                #expect(info.status == .failed)
                #expect(info.status.isTerminal)
                #expect(info.lastExit == .signaled(.kill))
            }
        }

        @Test func aNonCodableErrorArrivesAsRemoteWhateverTheIsolation() async throws {
            try await withProcessManager { pm in
                var errors: [ProcessError] = []
                for isolation in [SpawnOptions.Isolation.process, .inProcess] {
                    let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(isolation: isolation))
                    do {
                        try await calc.failOpaquely("detail")
                        Issue.record("no error from \(isolation)")
                    } catch let error as ProcessError {
                        errors.append(error)
                    }
                }
                #expect(errors.count == 2)
                #expect(errors.allSatisfy { $0.code == .remote })
                #expect(errors.allSatisfy { $0.remoteType?.hasSuffix("OpaqueFailure") == true })
                #expect(errors.allSatisfy { $0.message == "opaque failure: detail" })
                #expect(Set(errors).count == 1)
            }
        }
    }
}
