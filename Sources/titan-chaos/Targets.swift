import Glibc
import TitanPM

/// Runs `body` until it returns or `bound` passes; nil if the bound came first.
func bounded<T: Sendable>(_ bound: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: bound)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
}

/// `callers` tasks calling `add` on `service` until `end`, each result checked.
func load(_ service: ChaosService, callers: Int, until end: ContinuousClock.Instant, into tally: Tally) async {
    await withTaskGroup(of: Void.self) { group in
        for caller in 0..<callers {
            group.addTask {
                var i = caller
                while ContinuousClock.now < end {
                    let n = i
                    await tally.call { try await service.add(n, 1) == n + 1 }
                    i += callers
                }
            }
        }
    }
}

/// Every `interval` until `end`, picks a victim and runs `killAndHeal` on it: the kill, then
/// the wait until the target serves again, timed (bounded by the hang bound).
func killer(
    every interval: Duration,
    until end: ContinuousClock.Instant,
    tally: Tally,
    victim: @escaping @Sendable () async -> ProcessID?,
    killAndHeal: @escaping @Sendable (ProcessID) async throws -> Void
) async {
    while ContinuousClock.now < end {
        try? await Task.sleep(for: interval)
        guard let id = await victim() else { continue }
        let started = ContinuousClock.now
        do {
            if try await bounded(Tally.hangBound, { try await killAndHeal(id) }) == nil {
                tally.recordHung()
            } else {
                tally.killed(healing: ContinuousClock.now - started)
            }
        } catch {
            tally.fail(error)
        }
    }
}

/// One process with a restart policy: load, and a kill every `interval`; healed once a call
/// made right after the kill returns (it waits for the restart).
func chaosSingle(_ pm: ProcessManager, callers: Int, interval: Duration, until end: ContinuousClock.Instant) async throws -> Tally {
    let tally = Tally("single")
    let options = SpawnOptions(restartPolicy: .always(maxRestarts: .max, within: .seconds(1), backoff: .none))
    let service = try await pm.spawn(ChaosService.self, options: options)
    async let calls: Void = load(service, callers: callers, until: end, into: tally)
    await killer(every: interval, until: end, tally: tally, victim: { service.id.process }) { id in
        try pm.kill(id)
        _ = try await service.add(1, 1)
    }
    await calls
    return tally
}

/// A pool of 4: load through the pool, and a worker killed every `interval`; healed once the
/// pool has started a replacement.
func chaosPool(_ pm: ProcessManager, callers: Int, interval: Duration, until end: ContinuousClock.Instant) async throws -> Tally {
    let tally = Tally("pool4")
    let pool = try await pm.pool(ChaosService.self, options: PoolOptions(size: .fixed(4), strategy: .leastConnections))
    async let calls: Void = load(pool.proxy, callers: callers, until: end, into: tally)
    await killer(every: interval, until: end, tally: tally, victim: { pool.workers.randomElement() }) { victim in
        let events = pool.events
        try pm.kill(victim)
        for await event in events where event.kind == .workerStarted { return }
    }
    await calls
    await pool.shutdown(timeout: .seconds(5))
    return tally
}

/// A supervision tree (two children, one for one): load on one child's reference, and a
/// child killed every `interval`; healed once the reference serves again.
func chaosSupervisor(_ pm: ProcessManager, callers: Int, interval: Duration, until end: ContinuousClock.Instant) async throws -> Tally {
    let tally = Tally("supervisor")
    let root = try await pm.supervisor("chaos", strategy: .oneForOne, intensity: .max, within: .seconds(1)) {
        Child(ChaosService.self, id: "a")
        Child(ChaosService.self, id: "b")
    }
    let a = try await root.reference(ChaosService.self, id: "a")
    let b = try await root.reference(ChaosService.self, id: "b")
    async let callsA: Void = load(a, callers: callers / 2, until: end, into: tally)
    async let callsB: Void = load(b, callers: callers / 2, until: end, into: tally)
    await killer(every: interval, until: end, tally: tally, victim: {
        await root.children.filter { $0.pid != nil }.randomElement()?.process
    }) { id in
        try pm.kill(id)
        _ = try await a.add(1, 1)
        _ = try await b.add(1, 1)
    }
    await callsA
    await callsB
    await root.stop()
    return tally
}

/// An open stream: a consumer reads an endless count (checking every element is the next)
/// and opens a new stream when the producer dies; the producer is killed every `interval`;
/// healed at the first element of the new stream.
func chaosStream(_ pm: ProcessManager, interval: Duration, until end: ContinuousClock.Instant) async throws -> Tally {
    let tally = Tally("stream")
    let options = SpawnOptions(restartPolicy: .always(maxRestarts: .max, within: .seconds(1), backoff: .none))
    let service = try await pm.spawn(ChaosService.self, options: options)
    async let consumer: Void = {
        while ContinuousClock.now < end {
            do {
                var expected = 0
                for try await element in try await service.count().window(256) {
                    if element != expected { tally.recordWrong() } else { tally.recordOK() }
                    expected += 1
                    if ContinuousClock.now >= end { break }
                }
            } catch {
                tally.fail(error)
            }
        }
    }()
    await killer(every: interval, until: end, tally: tally, victim: { service.id.process }) { id in
        try pm.kill(id)
        for try await _ in try await service.count() { break }
    }
    await consumer
    return tally
}
