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

/// How long a call to a child that dies under it takes to fail, from the moment it is made.
private func timeToFailure(_ pm: ProcessManager, options: SpawnOptions = SpawnOptions(), _ body: @escaping @Sendable (Calculator) async throws -> Void) async throws -> (Duration, ProcessError?) {
    let calc = try await pm.spawn(Calculator.self, options: options)
    _ = try await calc.add(1, 1)
    let started = ContinuousClock.now
    do {
        try await body(calc)
        return (ContinuousClock.now - started, nil)
    } catch let error as ProcessError {
        return (ContinuousClock.now - started, error)
    }
}

private func median(_ values: [Duration]) -> Duration {
    values.sorted()[values.count / 2]
}

extension TitanPMTests {
    /// A child that traps is detected about as fast as one that is killed, and says why.
    @Suite struct CrashReport {
        @Test func aTrapFailsItsCallsAboutAsFastAsAKillAndSaysWhy() async throws {
            try await withProcessManager { pm in
                var kills: [Duration] = []
                var traps: [Duration] = []
                for _ in 0..<5 {
                    let (killed, killError) = try await timeToFailure(pm) { try await $0.raise(SIGKILL) }
                    #expect(killError?.code == .processExited)
                    kills.append(killed)
                    let (trapped, trapError) = try await timeToFailure(pm) { try await $0.crash() }
                    #expect(trapError?.code == .processExited)
                    #expect(trapError?.lastOutput?.contains("Fatal error: crash requested by the test") == true, "\(String(describing: trapError))")
                    #expect(trapError?.message.contains("crash requested by the test") == true)
                    traps.append(trapped)
                }
                print("kill → failure median \(median(kills)), trap → failure median \(median(traps))")
                #expect(median(traps) < median(kills) * 10, "kills: \(kills), traps: \(traps)")
            }
        }
    
        @Test func backtracesWhenAskedForReachTheParentsStandardError() async throws {
            // The children's standard error is forwarded to this process's: catch it in a pipe.
            var fds: [Int32] = [-1, -1]
            #expect(pipe(&fds) == 0)
            let saved = dup(2)
            dup2(fds[1], 2)
            close(fds[1])
            let error = try await withProcessManager { pm in
                try await timeToFailure(pm, options: SpawnOptions(backtraces: true)) { try await $0.crash() }.1
            }
            dup2(saved, 2)
            close(saved)
            defer { close(fds[0]) }
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while case let n = read(fds[0], &chunk, chunk.count), n > 0 { bytes += chunk[0..<n] }
            let forwarded = String(decoding: bytes, as: UTF8.self)
            #expect(forwarded.contains("Fatal error: crash requested by the test"))
            #expect(forwarded.contains("Program crashed"), "\(forwarded)")
            #expect(forwarded.contains("Calculator.crash()"))
            // The reason stays the trap's message, not the last line of the backtrace.
            #expect(error?.lastOutput?.hasSuffix("Fatal error: crash requested by the test") == true, "\(String(describing: error))")
        }

        @Test func theCrashedEventCarriesTheTrapMessage() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let recorder = EventRecorder(pm)
                await #expect(throws: ProcessError.self) { try await calc.crash() }
                let crashed = try await recorder.first("crashed") { $0.status == .crashed }
                #expect(crashed.lastOutput?.contains("Fatal error: crash requested by the test") == true)
                // SIGILL on x86-64, SIGTRAP on arm64.
                #expect([.signaled(.illegalInstruction), .signaled(.trap)].contains(crashed.exitStatus))
            }
        }
    }
}
