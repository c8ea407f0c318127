import Testing
@testable import TitanPM
import TitanPMTestKit
import TitanTestServices

extension TitanPMTests {
    /// Method policies on a pool: a circuit breaker per worker, retries and health checks
    /// that get a worker replaced.
    @Suite struct PoolPolicies {
        @Test func aMethodsBreakerOpensPerWorkerAndCallsGoToTheOthers() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PolicyLab.self, options: PoolOptions(size: .fixed(2), strategy: .roundRobin))
                let events = EventRecorder(pm.policyEvents)
                let sick = try await pool.execute { worker in
                    try await worker.setFailing(true)
                    return worker.id.process
                }
                var failures = 0
                var successes = 0
                for _ in 0..<12 {
                    do {
                        _ = try await pool.proxy.fragile()
                        successes += 1
                    } catch LabError.broken {
                        failures += 1
                    }
                }
                #expect(failures == 3 && successes == 9)
                let opened = try await events.first("the sick worker's circuit opened") { $0.kind == .circuitOpened }
                #expect(opened.process == sick && opened.method == "fragile()")
                #expect(pool.stats.workers.first { $0.id == sick }?.circuitOpen == true)
                // The sick worker's body ran only for the three calls that opened its circuit
                // (asked directly: a pool's worker is reachable by its own id).
                let direct = try PolicyLab.resolve(id: ProcessActorID(process: sick, instance: 0), using: pm.actorSystem)
                #expect(try await direct.runs("fragile") == 3)
            }
        }

        @Test func whenEveryWorkersCircuitIsOpenCallsFailFast() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PolicyLab.self, options: PoolOptions(size: .fixed(1)))
                try await pool.proxy.setFailing(true)
                for _ in 0..<3 { await #expect(throws: LabError.broken) { try await pool.proxy.fragile() } }
                let refusal = try await #require(throws: PolicyError.self) { try await pool.proxy.fragile() }
                #expect(refusal.code == .circuitOpen && refusal.method == "fragile()")
                #expect(try await pool.proxy.runs("fragile") == 3)
            }
        }

        @Test func aWorkerFailingACriticalHealthCheckIsReplaced() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(Patient.self, options: PoolOptions(size: .fixed(2)))
                let events = EventRecorder(pool)
                let sick = try await pool.execute { worker in
                    try await worker.fallIll()
                    return worker.id.process
                }
                try await events.first("the sick worker replaced") { $0.kind == .workerReplaced && $0.worker == sick }
                try await events.first("a new worker started") { $0.kind == .workerStarted }
                #expect(!pool.workers.contains(sick) && pool.stats.size == 2)
            }
        }
    }
}
