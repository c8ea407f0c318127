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
    /// What callers see when a child dies, and what the restart policy does about it.
    @Suite struct CrashAndRestart {
        @Test func killDuringHundredInFlightCallsFailsThemAllFast() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(callTimeout: .seconds(60)))
                let recorder = EventRecorder(pm)
                let id = calc.id.process
                let started = ContinuousClock.now
                let outcomes = try await withThrowingTaskGroup(of: Result<Int, any Error>.self) { group in
                    for _ in 0..<100 {
                        group.addTask {
                            do { return .success(try await calc.sleep(milliseconds: 30_000)) } catch { return .failure(error) }
                        }
                    }
                    // The kill lands while all 100 calls are in flight.
                    #expect(await eventually { pm.inFlightCalls(id) == 100 })
                    try pm.kill(id, signal: .kill)
                    var outcomes: [Result<Int, any Error>] = []
                    for try await outcome in group { outcomes.append(outcome) }
                    return outcomes
                }
                #expect(ContinuousClock.now - started < .seconds(10))
                #expect(outcomes.count == 100)
                for outcome in outcomes {
                    guard case .failure(let error) = outcome, let error = error as? ProcessError, error.code == .processExited else {
                        Issue.record("expected processExited, got \(outcome)")
                        continue
                    }
                    #expect(error.process == id)
                    #expect(error.termination == .signaled(.kill))
                }
                let crashed = try await recorder.first("crashed event") { $0.status == .crashed }
                #expect(crashed.exitStatus == .signaled(.kill))
                _ = try await recorder.first("failed event") { $0.status == .failed }
                #expect(pm.process(id: id)?.status == .failed)
                // Without a restart policy, later calls fail at once: they reach no process.
                await #expect(throws: ProcessError.notRunning(id, .failed, lastExit: .signaled(.kill))) { try await calc.add(1, 1) }
            }
        }

        @Test func trapInTheChildIsACrashNotAHang() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                do {
                    try await calc.crash()
                    Issue.record("crash() returned")
                } catch let error as ProcessError {
                    guard error.code == .processExited, case .signaled? = error.termination else {
                        Issue.record("unexpected \(error)")
                        return
                    }
                }
            }
        }

        @Test func restartPolicyBringsTheSameReferenceBack() async throws {
            try await withProcessManager { pm in
                let options = SpawnOptions(restartPolicy: .onFailure(maxRestarts: 3, within: .seconds(60), backoff: .constant(.milliseconds(10))))
                let calc = try await pm.spawn(Calculator.self, options: options)
                let recorder = EventRecorder(pm)
                let firstPID = try await calc.pid()
                try pm.kill(calc.id.process, signal: .kill)
                _ = try await recorder.first("running again") { $0.status == .running && $0.restarts == 1 }
                let secondPID = try await calc.pid()
                #expect(secondPID != firstPID)
                #expect(try await calc.add(40, 2) == 42)
                let info = try #require(pm.process(id: calc.id.process))
                #expect(info.restarts == 1)
                #expect(info.pid == secondPID)
                #expect(info.lastExit == .signaled(.kill))
                let statuses = recorder.events.map(\.status)
                #expect(statuses.starts(with: [.crashed, .restarting, .starting, .running]))
            }
        }

        @Test func callsMadeDuringARestartWaitForIt() async throws {
            try await withProcessManager { pm in
                let options = SpawnOptions(restartPolicy: .onFailure(maxRestarts: 3, backoff: .constant(.milliseconds(400))))
                let calc = try await pm.spawn(Calculator.self, options: options)
                let recorder = EventRecorder(pm)
                try pm.kill(calc.id.process, signal: .kill)
                _ = try await recorder.first("restarting") { $0.status == .restarting }
                // Issued while the process is down: it waits for the new incarnation.
                #expect(try await calc.add(1, 2) == 3)
                #expect(pm.process(id: calc.id.process)?.restarts == 1)
            }
        }

        @Test func callsDuringARestartAreBoundedByTheirTimeout() async throws {
            try await withProcessManager { pm in
                let options = SpawnOptions(restartPolicy: .onFailure(maxRestarts: 3, backoff: .constant(.seconds(5))))
                let calc = try await pm.spawn(Calculator.self, options: options)
                let recorder = EventRecorder(pm)
                try pm.kill(calc.id.process, signal: .kill)
                _ = try await recorder.first("restarting") { $0.status == .restarting }
                let started = ContinuousClock.now
                await #expect(throws: ProcessError.timedOut(after: .milliseconds(200))) {
                    try await ProcessActorSystem.withCallTimeout(.milliseconds(200)) { try await calc.add(1, 2) }
                }
                #expect(ContinuousClock.now - started < .seconds(3))
            }
        }

        @Test func backoffDelaysAndMaxRestartsAreRespected() async throws {
            try await withProcessManager { pm in
                let backoff = Backoff.exponential(initial: .milliseconds(200), factor: 2, cap: .seconds(5))
                let options = SpawnOptions(restartPolicy: .onFailure(maxRestarts: 2, within: .seconds(60), backoff: backoff))
                let calc = try await pm.spawn(Calculator.self, options: options)
                let recorder = EventRecorder(pm)
                let id = calc.id.process

                // Crash 1 → restart after 200 ms.
                try pm.kill(id, signal: .kill)
                let crash1 = try await recorder.first("crash 1") { $0.status == .crashed }
                let running1 = try await recorder.first("restart 1") { $0.status == .running && $0.restarts == 1 }
                #expect(running1.time.timeIntervalSince(crash1.time) >= 0.2)

                // Crash 2 → restart after 400 ms.
                try pm.kill(id, signal: .kill)
                let crash2 = try await recorder.first("crash 2") { $0.status == .crashed && $0.restarts == 1 }
                let running2 = try await recorder.first("restart 2") { $0.status == .running && $0.restarts == 2 }
                #expect(running2.time.timeIntervalSince(crash2.time) >= 0.4)

                // Crash 3 exceeds 2 restarts within the window: the manager gives up.
                try pm.kill(id, signal: .kill)
                let failed = try await recorder.first("gave up") { $0.status == .failed }
                #expect(failed.reason?.contains("gave up") == true)
                #expect(failed.exitStatus == .signaled(.kill))
                #expect(pm.process(id: id)?.status == .failed)
                #expect(pm.process(id: id)?.restarts == 2)
                await #expect(throws: ProcessError.self) { try await calc.add(1, 1) }
            }
        }

        @Test func backoffCurves() {
            #expect(Backoff.constant(.milliseconds(50)).baseDelay(attempt: 7) == .milliseconds(50))
            let linear = Backoff.linear(initial: .milliseconds(100), step: .milliseconds(50), cap: .milliseconds(220))
            #expect(linear.baseDelay(attempt: 0) == .milliseconds(100))
            #expect(linear.baseDelay(attempt: 2) == .milliseconds(200))
            #expect(linear.baseDelay(attempt: 3) == .milliseconds(220))
            let exponential = Backoff.exponential(initial: .milliseconds(10), factor: 3, cap: .seconds(1))
            #expect(exponential.baseDelay(attempt: 0) == .milliseconds(10))
            #expect(exponential.baseDelay(attempt: 2) == .milliseconds(90))
            #expect(exponential.baseDelay(attempt: 40) == .seconds(1))
            let jittered = Backoff.constant(.seconds(1), jitter: 0.5)
            var generator = SystemRandomNumberGenerator()
            let delays = (0..<200).map { _ in jittered.delay(attempt: 0, using: &generator) }
            #expect(delays.allSatisfy { $0 >= .milliseconds(500) && $0 <= .milliseconds(1500) })
            #expect(Set(delays).count > 100)
        }

        @Test func cleanExitIsNotRestartedOnFailurePolicy() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(restartPolicy: .onFailure(backoff: .none)))
                let recorder = EventRecorder(pm)
                await #expect(throws: ProcessError.self) { try await calc.exit(code: 0) }
                let stopped = try await recorder.first("stopped") { $0.status == .stopped }
                #expect(stopped.exitStatus == .exited(code: 0))
                #expect(pm.process(id: calc.id.process)?.restarts == 0)
                #expect(pm.process(id: calc.id.process)?.status == .stopped)
            }
        }

        @Test func alwaysPolicyRestartsACleanExit() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(restartPolicy: .always(backoff: .none)))
                let recorder = EventRecorder(pm)
                await #expect(throws: ProcessError.self) { try await calc.exit(code: 0) }
                _ = try await recorder.first("running again") { $0.status == .running && $0.restarts == 1 }
                #expect(try await calc.add(1, 1) == 2)
            }
        }

        @Test func manualRestartKeepsTheReference() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let before = try await calc.pid()
                try await pm.restart(calc.id.process)
                let after = try await calc.pid()
                #expect(before != after)
                #expect(!isAlive(before))
                #expect(pm.process(id: calc.id.process)?.restarts == 1)
                #expect(pm.process(id: calc.id.process)?.status == .running)
            }
        }
    }
}
