import Glibc
import Synchronization
import TitanPM

/// What one manager costs with `count` idle children: how long spawning them takes (16 at a
/// time), the parent's threads and memory once they run, and calls per second fanned out over
/// all of them (64 in flight, each call to the next child in turn).
func measureScale(children count: Int, report: Report) async throws {
    let pm = benchManager()
    let threadsBefore = ProcFS.threadCount(of: getpid()) ?? 0
    let rssBefore = ProcFS.residentBytes(of: getpid()) ?? 0
    let start = nowNanos()
    var services: [BenchService] = []
    services.reserveCapacity(count)
    var next = 0
    while next < count {
        let batch = min(16, count - next)
        let started = try await withThrowingTaskGroup(of: BenchService.self) { group in
            for _ in 0..<batch {
                group.addTask { try await pm.spawn(BenchService.self, options: SpawnOptions(callTimeout: nil)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        services += started
        next += batch
    }
    let spawnSeconds = Double(nowNanos() - start) / 1e9
    // Every child answers once before the idle readings.
    for service in services { _ = try await service.add(1, 1) }
    let threads = (ProcFS.threadCount(of: getpid()) ?? 0) - threadsBefore
    let rss = (ProcFS.residentBytes(of: getpid()) ?? 0) - rssBefore

    let cursor = Counter()
    let calls = 100 * count
    let all = services
    let rate = try await measureThroughput(calls: calls, concurrency: 64) {
        _ = try await all[cursor.next() % all.count].add(1, 2)
    }
    report.add("scale\(count)_spawn_total_s", spawnSeconds, "s")
    report.add("scale\(count)_parent_threads", Double(threads), "threads")
    report.add("scale\(count)_parent_threads_per_child", Double(threads) / Double(count), "threads")
    report.add("scale\(count)_parent_rss_mb", Double(rss) / 1_048_576, "MB")
    report.add("scale\(count)_fanout_calls_per_s", rate, "calls/s")
    await pm.shutdown(timeout: .seconds(30))
}

/// A shared counter for spreading calls over many services.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    func next() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}
