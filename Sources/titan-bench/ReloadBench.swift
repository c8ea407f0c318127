import Synchronization
import TitanPM

/// Latency while a pool of 4 is reloaded, beside its steady state, in one run: 64 calls kept
/// in flight (64 loops of `spin(microseconds: 50)`) first for a steady period, then for exactly
/// as long as `pool.reload()` takes. Reports p50 and p99 of both, the ratio of the p99s, how
/// long the reload took, and the calls that failed (the promise: none).
func measureReload(report: Report, quick: Bool) async throws {
    let pm = benchManager()
    let pool = try await pm.pool(
        BenchService.self,
        options: PoolOptions(size: .fixed(4), maxConcurrentCallsPerWorker: 64, worker: SpawnOptions(callTimeout: nil))
    )
    let proxy = pool.proxy
    // Warm-up: every worker has answered and the connections are established.
    _ = try await underLoad(proxy) { try await Task.sleep(for: .milliseconds(300)) }
    let steady = try await underLoad(proxy) { try await Task.sleep(for: quick ? .seconds(1) : .seconds(3)) }
    var reloadNanos: UInt64 = 0
    var reports: [ReloadReport] = []
    let during = try await underLoad(proxy) {
        let start = nowNanos()
        reports = try await pool.reload()
        reloadNanos = nowNanos() - start
    }
    await pm.shutdown(timeout: .seconds(10))
    guard reports.count == 4 else { throw ProcessError.unsupported("the reload replaced \(reports.count) workers, not 4") }
    report.add("reload_steady_p50_us", steady.samples.median, "us")
    report.add("reload_steady_p99_us", steady.samples.percentile(99), "us")
    report.add("reload_during_p50_us", during.samples.median, "us")
    report.add("reload_during_p99_us", during.samples.percentile(99), "us")
    report.add("reload_p99_ratio", during.samples.percentile(99) / steady.samples.percentile(99), "x")
    report.add("reload_during_max_us", during.samples.percentile(100), "us")
    report.add("reload_calls_during", Double(during.samples.values.count), "calls")
    report.add("reload_failed_calls", Double(steady.failures + during.failures), "calls")
    report.add("reload_pool4_duration_ms", Double(reloadNanos) / 1e6, "ms")
}

/// Keeps 64 calls in flight on `service` while `body` runs; their latencies and failures.
private func underLoad(_ service: BenchService, _ body: () async throws -> Void) async throws -> (samples: Samples, failures: Int) {
    let stop = StopFlag()
    let loops = Task {
        await withTaskGroup(of: ([UInt64], Int).self) { group in
            for _ in 0..<64 {
                group.addTask {
                    var latencies: [UInt64] = []
                    var failures = 0
                    while !stop.isSet {
                        let start = nowNanos()
                        do {
                            _ = try await service.spin(microseconds: 50)
                            latencies.append(nowNanos() - start)
                        } catch {
                            failures += 1
                        }
                    }
                    return (latencies, failures)
                }
            }
            var samples = Samples(capacity: 100_000)
            var failures = 0
            for await (latencies, failed) in group {
                for nanos in latencies { samples.add(nanos: nanos) }
                failures += failed
            }
            return (samples, failures)
        }
    }
    do {
        try await body()
    } catch {
        stop.set()
        _ = await loops.value
        throw error
    }
    stop.set()
    return await loops.value
}

/// Tells the load's loops to finish the call they are making and stop.
private final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
