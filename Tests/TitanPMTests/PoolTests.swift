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

/// Runs `total` calls from `concurrency` looping tasks; returns each call's outcome.
func load<T: Sendable>(_ total: Int, concurrency: Int, _ call: @escaping @Sendable (Int) async throws -> T) async -> [Result<T, any Error>] {
    let tickets = AsyncCounter()
    return await withTaskGroup(of: [Result<T, any Error>].self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var results: [Result<T, any Error>] = []
                while true {
                    let n = tickets.take()
                    guard n < total else { return results }
                    do { results.append(.success(try await call(n))) } catch { results.append(.failure(error)) }
                }
            }
        }
        var all: [Result<T, any Error>] = []
        for await part in group { all += part }
        return all
    }
}

extension TitanPMTests {
    /// `ProcessPool` over real worker processes.
    @Suite struct Pools {
        @Test func roundRobinSpreadsEvenly() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(4), strategy: .roundRobin))
                var counts: [Int32: Int] = [:]
                for i in 0..<400 { counts[try await pool.proxy.work(i).pid, default: 0] += 1 }
                #expect(counts.count == 4)
                #expect(counts.values.allSatisfy { $0 == 100 })
                let stats = pool.stats
                #expect(stats.size == 4)
                #expect(stats.processed == 400)
                #expect(stats.errors == 0)
                #expect(stats.latencyP50 != nil)
                #expect(Set(stats.workers.compactMap(\.pid)) == Set(counts.keys))
            }
        }

        @Test func leastConnectionsAvoidsASlowWorker() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(3), strategy: .leastConnections))
                let slowPID = try await pool.execute { worker in
                    try await worker.setDelay(milliseconds: 200)
                    return try await worker.pid()
                }
                let results = await load(300, concurrency: 6) { i in try await pool.proxy.work(i).pid }
                let pids = try results.map { try $0.get() }
                let onSlow = pids.filter { $0 == slowPID }.count
                // Round-robin would give it 100; it can hold only a few calls while the others
                // finish hundreds.
                #expect(onSlow < 30, "slow worker got \(onSlow) of 300")
                #expect(Set(pids).count == 3)
            }
        }

        @Test func consistentHashKeepsKeysAndMovesFewOnScale() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(4), strategy: .consistentHash()))
                let keys = (0..<1000).map { "user-\($0)" }
                func owners() async throws -> [String: Int32] {
                    var result: [String: Int32] = [:]
                    for key in keys {
                        result[key] = try await pool.withKey(key) { try await pool.proxy.work(0).pid }
                    }
                    return result
                }
                let before = try await owners()
                #expect(try await owners() == before)
                #expect(Set(before.values).count == 4)

                await pool.scale(to: 5)
                #expect(pool.stats.size == 5)
                let after = try await owners()
                let moved = keys.filter { before[$0] != after[$0] }
                let newPIDs = Set(after.values).subtracting(before.values)
                #expect(newPIDs.count == 1)
                // Only keys the new worker took over move: about 1/5, never more than 1/4.
                #expect(moved.count <= keys.count / 4, "\(moved.count) of \(keys.count) keys moved")
                #expect(moved.count > 0)
                #expect(moved.allSatisfy { newPIDs.contains(after[$0]!) })
            }
        }

        @Test func stickySessionsAndACustomStrategy() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(3), strategy: .sticky()))
                var first: [String: Int32] = [:]
                for round in 0..<3 {
                    for key in ["a", "b", "c", "d", "e", "f"] {
                        let pid = try await pool.withKey(key) { try await pool.proxy.work(round).pid }
                        if round == 0 { first[key] = pid } else { #expect(first[key] == pid) }
                    }
                }
                #expect(Set(first.values).count == 3)
            }
            /// Always the highest slot: a user-supplied strategy.
            struct HighestSlot: PoolStrategy {
                mutating func select(from available: [PoolWorker], for call: PoolCallContext) -> Int? {
                    available.indices.max { available[$0].slot < available[$1].slot }
                }
            }
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(3), strategy: HighestSlot()))
                var pids = Set<Int32>()
                for i in 0..<20 { pids.insert(try await pool.proxy.work(i).pid) }
                #expect(pids.count == 1)
                #expect(pids.first == pool.stats.workers.first { $0.slot == 2 }?.pid)
            }
        }

        @Test func weightedRandomAndPowerOfTwoStrategies() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(2), strategy: .weightedRoundRobin([3, 1])))
                let slot0 = pool.stats.workers.first { $0.slot == 0 }!.pid!
                var onSlot0 = 0
                for i in 0..<400 where try await pool.proxy.work(i).pid == slot0 { onSlot0 += 1 }
                #expect(onSlot0 == 300)
            }
            for strategy in [RandomStrategy() as any PoolStrategy, PowerOfTwoChoicesStrategy(), LeastResponseTimeStrategy(), AdaptiveStrategy()] {
                try await withProcessManager { pm in
                    let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(3), strategy: strategy))
                    let results = await load(300, concurrency: 6) { i in try await pool.proxy.work(i).pid }
                    let pids = try results.map { try $0.get() }
                    #expect(Set(pids).count == 3, "\(type(of: strategy)) used \(Set(pids).count) workers")
                }
            }
        }

        @Test func latencyAwareStrategiesAvoidASlowWorker() async throws {
            for strategy in [LeastResponseTimeStrategy() as any PoolStrategy, AdaptiveStrategy()] {
                try await withProcessManager { pm in
                    let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(3), strategy: strategy))
                    let slowPID = try await pool.execute { worker in
                        try await worker.setDelay(milliseconds: 100)
                        return try await worker.pid()
                    }
                    var onSlow = 0
                    for i in 0..<200 where try await pool.proxy.work(i).pid == slowPID { onSlow += 1 }
                    #expect(onSlow < 10, "\(type(of: strategy)) sent \(onSlow) of 200 calls to the slow worker")
                }
            }
        }

        @Test func leastLoadedFollowsSampledCPU() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(
                    size: .fixed(2), strategy: .leastLoaded, sampleInterval: .milliseconds(50)
                ))
                let busy = try await pool.execute { try await $0.pid() }
                // One worker burns a CPU through another reference, outside the pool's count.
                let burner = try PoolWorkerService.resolve(
                    id: ProcessActorID(process: pool.stats.workers.first { $0.pid == busy }!.id, instance: 0),
                    using: pm.actorSystem
                )
                let burning = Task { try await burner.burn(milliseconds: 1500) }
                #expect(await eventually { (pool.stats.workers.first { $0.pid == busy }?.cpuUsage ?? 0) > 0.5 })
                var onBusy = 0
                for i in 0..<20 where try await pool.proxy.work(i).pid == busy { onBusy += 1 }
                #expect(onBusy == 0)
                _ = try await burning.value
            }
        }

        @Test func queueBoundTimeoutAndDispatchOnRelease() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(
                    size: .fixed(1), maxConcurrentCallsPerWorker: 1,
                    queue: .init(maxSize: 2, timeout: .milliseconds(300))
                ))
                let holder = Task { try await pool.proxy.hold(milliseconds: 2000) }
                #expect(await eventually { pool.stats.busy == 1 })
                let queued = (0..<2).map { i in Task { try await pool.proxy.work(i) } }
                #expect(await eventually { pool.stats.queued == 2 })
                await #expect(throws: PoolError.queueFull(limit: 2)) { try await pool.proxy.work(99) }
                for task in queued {
                    await #expect(throws: PoolError.queueTimeout(after: .milliseconds(300))) { try await task.value }
                }
                _ = try await holder.value
            }
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(
                    size: .fixed(1), maxConcurrentCallsPerWorker: 1, queue: .init(maxSize: 10, timeout: .seconds(20))
                ))
                let holder = Task { try await pool.proxy.hold(milliseconds: 300) }
                #expect(await eventually { pool.stats.busy == 1 })
                // Queued behind the holder; no other call arrives, yet it runs when the holder ends.
                let waiting = try await within(.seconds(10), "queued call") { try await pool.proxy.work(7) }
                let held = try await holder.value
                #expect(waiting.sequence == held.sequence + 1)
                #expect(pool.stats.queued == 0)
            }
        }

        @Test func priorityOrdersTheQueue() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(
                    size: .fixed(1), maxConcurrentCallsPerWorker: 1, queue: .init(maxSize: 10, timeout: .seconds(20))
                ))
                let holder = Task { try await pool.proxy.hold(milliseconds: 500) }
                #expect(await eventually { pool.stats.busy == 1 })
                let low1 = Task { try await pool.withPriority(0) { try await pool.proxy.work(1) } }
                #expect(await eventually { pool.stats.queued == 1 })
                let low2 = Task { try await pool.withPriority(0) { try await pool.proxy.work(2) } }
                #expect(await eventually { pool.stats.queued == 2 })
                let high = Task { try await pool.withPriority(10) { try await pool.proxy.work(3) } }
                #expect(await eventually { pool.stats.queued == 3 })
                let held = try await holder.value
                let (h, l1, l2) = (try await high.value, try await low1.value, try await low2.value)
                #expect(h.sequence == held.sequence + 1)
                #expect(l1.sequence == held.sequence + 2)
                #expect(l2.sequence == held.sequence + 3)
            }
        }

        @Test func killedWorkerUnderLoadIsReplacedAndNoCallHangs() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(3), strategy: .roundRobin))
                let events = EventRecorder(pool)
                let victim = pool.workers[1]
                let started = ContinuousClock.now
                let results = await load(600, concurrency: 12) { i in
                    if i == 150 { try? pm.kill(victim, signal: .kill) }
                    return try await pool.proxy.hold(milliseconds: 2)
                }
                #expect(ContinuousClock.now - started < .seconds(30))
                #expect(results.count == 600)
                for case .failure(let error) in results {
                    guard let error = error as? ProcessError, error.code == .processExited, error.termination == .signaled(.kill) else {
                        Issue.record("unexpected failure \(error)")
                        continue
                    }
                    #expect(error.process == victim)
                }
                let replaced = try await events.first("victim replaced") { $0.kind == .workerReplaced && $0.worker == victim }
                try await events.first("a new worker in its slot") { $0.kind == .workerStarted && $0.slot == replaced.slot }
                #expect(pool.stats.size == 3 && !pool.workers.contains(victim))
                #expect(pool.stats.replaced == 1)
                // Marked idempotent, calls survive another kill by moving to other workers.
                let second = pool.workers[0]
                let retried = await load(300, concurrency: 12) { i in
                    try await pool.idempotent {
                        if i == 100 { try? pm.kill(second, signal: .kill) }
                        return try await pool.proxy.hold(milliseconds: 2)
                    }
                }
                #expect(retried.allSatisfy { if case .success = $0 { true } else { false } })
                let secondReplaced = try await events.first("second victim replaced") { $0.kind == .workerReplaced && $0.worker == second }
                try await events.first("a new worker in its slot") { $0.kind == .workerStarted && $0.slot == secondReplaced.slot && $0.time >= secondReplaced.time }
                #expect(pool.stats.size == 3 && !pool.workers.contains(second))
            }
        }

        @Test func recyclingAfterRequestsFailsNoCall() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(
                    size: .fixed(2), recycling: .init(maxRequests: 25)
                ))
                let events = EventRecorder(pool)
                let results = await load(300, concurrency: 4) { i in try await pool.proxy.hold(milliseconds: 1).pid }
                let pids = try results.map { try $0.get() }
                #expect(pids.count == 300)
                #expect(Set(pids).count >= 8, "only \(Set(pids).count) worker processes served")
                #expect(pool.stats.recycled >= 8)
                #expect(pool.stats.errors == 0)
                // Recycled workers are stopped and forgotten, not leaked.
                try await events.count("every recycled worker retired", pool.stats.recycled) { $0.kind == .workerRetired }
                try await events.count("a replacement for each", pool.stats.recycled) { $0.kind == .workerStarted }
                #expect(pool.stats.size == 2 && pool.stats.workers.count == 2)
                #expect(pm.processes.count == 2 && pm.processes.allSatisfy { $0.status == .running })
            }
        }

        @Test func autoScalesUpUnderLoadAndDownWhenIdle() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(
                    size: .range(min: 1, max: 3),
                    maxConcurrentCallsPerWorker: 1,
                    autoScaling: .init(queueLength: 0, idleTime: .milliseconds(300), scaleUpCooldown: .milliseconds(50), scaleDownCooldown: .milliseconds(100)),
                    sampleInterval: .milliseconds(50)
                ))
                #expect(pool.stats.size == 1)
                let events = EventRecorder(pool)
                let results = await load(60, concurrency: 6) { _ in try await pool.proxy.hold(milliseconds: 50).pid }
                #expect(Set(try results.map { try $0.get() }).count >= 2)
                #expect(pool.stats.workers.count >= 2)
                let peak = pool.stats.size
                #expect(peak == 3)
                try await events.first("scaled back down to 1") { $0.kind == .scaled && $0.size == 1 }
                #expect(pool.stats.size == 1)
            }
        }

        @Test func circuitBreakerTakesAFailingWorkerOutOfRotation() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(
                    size: .fixed(2), strategy: .roundRobin,
                    circuitBreaker: CircuitBreakerPolicy(.consecutiveFailures(2), resetAfter: .seconds(60)),
                    worker: SpawnOptions(callTimeout: .milliseconds(200))
                ))
                let stuck = try await pool.execute { worker in
                    try await worker.setDelay(milliseconds: 5000)
                    return try await worker.pid()
                }
                var failures = 0
                var served: [Int32] = []
                for i in 0..<20 {
                    do { served.append(try await pool.proxy.work(i).pid) } catch let error as ProcessError where error.code == .timedOut { failures += 1 }
                }
                #expect(failures == 2)
                #expect(served.count == 18)
                #expect(!served.contains(stuck))
                #expect(pool.stats.workers.first { $0.pid == stuck }?.circuitOpen == true)
            }
        }

        @Test func unhealthyWorkerGetsNoCallsAndIsReplaced() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(
                    size: .fixed(2),
                    healthChecks: .init(interval: .milliseconds(100), timeout: .seconds(1), unhealthyThreshold: 3),
                    sampleInterval: .milliseconds(50)
                ))
                let events = EventRecorder(pool)
                let sick = try await pool.execute { worker in
                    try await worker.setHealthy(false)
                    return try await worker.pid()
                }
                let unhealthy = try await events.first("a failed health check") { $0.kind == .workerUnhealthy }
                #expect(pool.stats.workers.contains { $0.id == unhealthy.worker && $0.pid == sick && $0.state == "unhealthy" })
                for i in 0..<20 { #expect(try await pool.proxy.work(i).pid != sick) }
                try await events.first("the sick worker retired") { $0.kind == .workerRetired && $0.worker == unhealthy.worker }
                try await events.first("its replacement started") { $0.kind == .workerStarted }
                #expect(pool.stats.replaced == 1 && pool.stats.size == 2 && !pool.stats.workers.contains { $0.pid == sick })
            }
        }

        @Test func drainAndShutdownLeaveNoProcesses() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(3)))
                let pids = pool.stats.workers.compactMap(\.pid)
                let running = (0..<6).map { i in Task { try await pool.proxy.hold(milliseconds: 100 + i) } }
                #expect(await eventually { pool.stats.busy > 0 })
                await pool.drain()
                for task in running { _ = try await task.value }
                await #expect(throws: PoolError.closed) { try await pool.proxy.work(1) }
                await pool.shutdown()
                for pid in pids { #expect(!ProcFS.isAlive(pid)) }
                #expect(pm.processes.isEmpty)
            }
        }
    }
}
