import Distributed
import Glibc
import TitanPM

/// A child that discovers ``BenchService`` and times calls to it from where it runs: over its
/// own connection to the callee, not through the manager.
distributed actor MeshBenchCaller: ProcessService {
    static let name = "bench-mesh-caller"

    private var callee: BenchService?

    distributed func discoverCallee() async throws {
        callee = try await actorSystem.discover(BenchService.self, timeout: .seconds(10))
    }

    /// `iterations` round trips of `add` after `warmup` untimed ones, in nanoseconds each.
    distributed func measure(warmup: Int, iterations: Int) async throws -> [UInt64] {
        guard let callee else { throw DiscoveryError(.notFound, "discoverCallee first") }
        return try await Self.loop(callee, warmup: warmup, iterations: iterations)
    }

    /// Off the actor, as the parent's loop runs: each reply resumes the loop without a hop to
    /// the actor's executor.
    private nonisolated static func loop(_ callee: BenchService, warmup: Int, iterations: Int) async throws -> [UInt64] {
        for _ in 0..<warmup { _ = try await callee.add(1, 2) }
        var samples: [UInt64] = []
        samples.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = nowNanos()
            _ = try await callee.add(1, 2)
            samples.append(nowNanos() - start)
        }
        return samples
    }
}

/// The event the bus figures send.
struct BenchEvent: Codable, Sendable {
    var sequence: Int
}

/// Counts the ``BenchEvent``s that reach it.
distributed actor BenchEventSink: ProcessService {
    static let name = "bench-event-sink"

    private var subscription: EventSubscription<BenchEvent>?

    distributed func subscribe() async throws {
        subscription = try await actorSystem.eventBus.subscribe(to: BenchEvent.self, bufferSize: 4096, overflow: .slowPublisher)
    }

    /// Returns once `count` events have arrived (in order), or throws.
    distributed func receive(_ count: Int) async throws -> Int {
        guard let subscription else { return 0 }
        var received = 0
        for await event in subscription {
            guard event.sequence == received else { throw DiscoveryError(.notFound, "event \(event.sequence) arrived as number \(received)") }
            received += 1
            if received == count { break }
        }
        return received
    }
}

/// `titan-bench --mesh`: a child's call to another child (direct) beside the parent's call to
/// the same child, in alternating blocks, and events per second from the parent to three
/// subscribing children.
func measureMesh(report: Report, quick: Bool) async throws {
    let pm = benchManager()
    let callee = try await pm.spawn(BenchService.self, options: SpawnOptions(callTimeout: nil))
    let caller = try await pm.spawn(MeshBenchCaller.self, options: SpawnOptions(callTimeout: nil))
    try await caller.discoverCallee()
    let iterations = quick ? 2_000 : 20_000
    let rounds = 10
    var parent = Samples(capacity: iterations)
    var child = Samples(capacity: iterations)
    for round in 0..<rounds {
        let warmup = round == 0 ? 2_000 : 100
        try await measureLatency(warmup: warmup, iterations: iterations / rounds, into: &parent) { _ = try await callee.add(1, 2) }
        for nanos in try await caller.measure(warmup: warmup, iterations: iterations / rounds) { child.add(nanos: nanos) }
    }
    report.add("mesh_parent_to_child_p50_us", parent.median, "us")
    report.add("mesh_child_to_child_p50_us", child.median, "us")
    report.add("mesh_child_vs_parent_p50", child.median / parent.median, "x")

    var sinks: [BenchEventSink] = []
    for _ in 0..<3 {
        let sink = try await pm.spawn(BenchEventSink.self, options: SpawnOptions(callTimeout: nil))
        try await sink.subscribe()
        sinks.append(sink)
    }
    let events = quick ? 20_000 : 200_000
    let start = nowNanos()
    async let received = withThrowingTaskGroup(of: Int.self) { group in
        for sink in sinks { group.addTask { try await sink.receive(events) } }
        return try await group.reduce(0, +)
    }
    for sequence in 0..<events { try await pm.eventBus.emit(BenchEvent(sequence: sequence)) }
    let total = try await received
    let seconds = Double(nowNanos() - start) / 1e9
    guard total == 3 * events else { throw DiscoveryError(.notFound, "\(total) of \(3 * events) events arrived") }
    report.add("mesh_events_per_s_to_3_subscribers", Double(events) / seconds, "events/s")
    report.add("mesh_deliveries_per_s", Double(total) / seconds, "deliveries/s")
    await pm.shutdown()
}
