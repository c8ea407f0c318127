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

/// Starts `hog.burn` for `milliseconds` in the background and returns once the child runs it;
/// the child's actor and the reader thread it runs on are then busy.
private func startBurning(_ hog: ResourceHog, _ pm: ProcessManager, milliseconds: Int = 60_000) async throws -> Task<Void, Never> {
    let task = Task { _ = try? await hog.burn(milliseconds: milliseconds) }
    #expect(await childRuns(pm, hog.id.process, "burn(milliseconds:)"))
    return task
}

/// Whether the child itself comes to run `count` calls of `method` (its own metrics, asked over
/// the control channel): a call in flight in the parent may not have reached the child yet.
private func childRuns(_ pm: ProcessManager, _ id: ProcessID, _ method: String, count: Int = 1) async -> Bool {
    await eventually(.seconds(10)) {
        (try? await pm.metrics(of: id, timeout: .seconds(5)))?.methods[method]?.inFlight == count
    }
}

extension TitanPMTests {
    /// Children whose service is busy or stuck are still stopped, checked and cancelled on
    /// time, and a watchdog restarts the stuck ones.
    @Suite struct HungChildren {
        @Test func aBusyServiceStillStopsGracefullyByItsDeadline() async throws {
            try await withProcessManager { pm in
                let hog = try await pm.spawn(ResourceHog.self)
                let burning = try await startBurning(hog, pm)
                let timeout = Duration.milliseconds(500)
                let started = ContinuousClock.now
                try await pm.stop(hog.id.process, timeout: timeout)
                let elapsed = ContinuousClock.now - started
                // The child ended itself at the step's deadline: no SIGTERM, no SIGKILL.
                #expect(pm.process(id: hog.id.process)?.lastExit == .exited(code: 0))
                #expect(elapsed < timeout * 2, "took \(elapsed)")
                burning.cancel()
            }
        }

        @Test func theHealthOfABusyServiceIsUnhealthyNotATimeout() async throws {
            try await withProcessManager(shutdownTimeout: .seconds(1)) { pm in
                let hog = try await pm.spawn(ResourceHog.self, options: SpawnOptions(callTimeout: .milliseconds(300)))
                #expect(try await pm.health(of: hog.id.process) == .healthy)
                let burning = try await startBurning(hog, pm)
                let health = try await pm.health(of: hog.id.process)
                #expect(health.state == .unhealthy)
                #expect(health.message?.contains("no answer") == true)
                burning.cancel()
            }
        }

        @Test func theMetricsOfABusyServiceArriveOnTheControlChannel() async throws {
            try await withProcessManager(shutdownTimeout: .seconds(1)) { pm in
                let hog = try await pm.spawn(ResourceHog.self)
                let burning = try await startBurning(hog, pm)
                // The calls' connection and the actor are held by `burn`: only the control
                // channel can answer, and it must do so well before the burn ends.
                let started = ContinuousClock.now
                let metrics = try await pm.metrics(of: hog.id.process, timeout: .seconds(5))
                #expect(ContinuousClock.now - started < .seconds(5))
                #expect(metrics.methods["burn(milliseconds:)"]?.inFlight == 1)
                burning.cancel()
            }
        }

        @Test func aCancellationReachesTheChildWhileItsReaderIsBusy() async throws {
            try await withProcessManager { pm in
                let hog = try await pm.spawn(ResourceHog.self)
                let waiting = Task { try await hog.awaitCancellation() }
                #expect(await childRuns(pm, hog.id.process, "awaitCancellation()"))
                let burning = Task { try await hog.burn(milliseconds: 1500) }
                #expect(await childRuns(pm, hog.id.process, "burn(milliseconds:)"))
                waiting.cancel()
                _ = try await burning.value
                let recorded = try await hog.recorded()
                let cancelled = try #require(recorded["cancelled"])
                let burnEnded = try #require(recorded["burnEnded"])
                #expect(cancelled < burnEnded, "the cancellation waited for the busy call to end")
            }
        }

        @Test func sigtermEndsABusyChildWithinTheParentsStopTimeout() async throws {
            try await withProcessManager { pm in
                let stopTimeout = Duration.milliseconds(300)
                let hog = try await pm.spawn(ResourceHog.self, options: SpawnOptions(stopTimeout: stopTimeout))
                let recorder = EventRecorder(pm)
                let burning = try await startBurning(hog, pm)
                let started = ContinuousClock.now
                try pm.kill(hog.id.process, signal: .terminate)
                let ended = try await recorder.first("ended") { $0.status == .stopped || $0.status == .crashed }
                let elapsed = ContinuousClock.now - started
                #expect(ended.exitStatus == .exited(code: 0))
                // Not the child's old hard-coded 10 s.
                #expect(elapsed < stopTimeout * 4, "took \(elapsed)")
                burning.cancel()
            }
        }

        @Test func shutdownMeetsItsDeadlineWithBusyAndFrozenChildren() async throws {
            let pm = ProcessManager()
            let pool = try await pm.pool(ResourceHog.self, options: PoolOptions(size: .fixed(2)))
            let burners = (0..<2).map { _ in Task { _ = try? await pool.proxy.burn(milliseconds: 60_000) } }
            let frozen = try await pm.spawn(Calculator.self)
            let busy = try await pm.spawn(ResourceHog.self)
            let burning = try await startBurning(busy, pm)
            try pm.kill(frozen.id.process, signal: .stop)
            let timeout = Duration.seconds(1)
            let started = ContinuousClock.now
            await pm.shutdown(timeout: timeout)
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < timeout * 1.2, "took \(elapsed)")
            #expect(pm.processes.allSatisfy { $0.pid == nil })
            for task in burners + [burning] { task.cancel() }
        }

        @Test func aStuckServiceIsRestartedByTheWatchdog() async throws {
            let clock = ManualClock()
            try await withProcessManager(clock: clock, shutdownTimeout: .seconds(1)) { pm in
                let options = SpawnOptions(
                    callTimeout: nil,
                    restartPolicy: .onFailure(backoff: .none),
                    watchdog: Watchdog(timeout: .seconds(2), interval: .seconds(1))
                )
                let hog = try await pm.spawn(ResourceHog.self, options: options)
                let recorder = EventRecorder(pm)
                let first = try await hog.pid()
                let burning = try await startBurning(hog, pm)
                await clock.waitForTimers()              // the next heartbeat
                clock.advance(by: .seconds(1))
                await clock.waitForTimers()              // the heartbeat's deadline
                clock.advance(by: .seconds(2))
                let crashed = try await recorder.first("killed by the watchdog") { $0.status == .crashed }
                #expect(crashed.reason?.contains("watchdog") == true, "\(crashed)")
                #expect(crashed.exitStatus == .signaled(.kill))
                await clock.waitForTimers()              // the restart (no backoff)
                clock.advance(by: .zero)
                try await pm.awaitRecovery(of: hog.id.process)
                #expect(try await hog.pid() != first)
                burning.cancel()
            }
        }

        @Test func aServiceThatAnswersIsLeftAloneByTheWatchdog() async throws {
            try await withProcessManager { pm in
                let options = SpawnOptions(watchdog: Watchdog(timeout: .milliseconds(300), interval: .milliseconds(20)))
                let calc = try await pm.spawn(Calculator.self, options: options)
                // A long call that suspends leaves the actor free: dozens of heartbeats pass.
                #expect(try await calc.sleep(milliseconds: 1500) == 1500)
                #expect(pm.process(id: calc.id.process)?.restarts == 0)
                #expect(pm.process(id: calc.id.process)?.status == .running)
            }
        }
    }
}
