import Synchronization
import TitanAdminAPI
import TitanPM

/// Samples every process's CPU time and memory from /proc, and its call count where one is
/// recorded, so that rates (CPU %, calls/s) are ready when an operator asks.
final class ResourceSampler: Sendable {
    /// What the last two samples of a process say.
    struct Reading: Sendable {
        var cpuPercent: Double?
        var cpuSeconds: Double?
        var residentBytes: Int?
        var callsPerSecond: Double?
    }

    private struct Sample {
        var pid: Int32
        var at: ContinuousClock.Instant
        var cpu: Duration?
        var calls: Int?
        var reading: Reading
    }

    private let manager: ProcessManager
    private let metrics: any ProcessMetricsSource
    private let interval: Duration
    private let samples = Mutex<[ProcessID: Sample]>([:])
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(manager: ProcessManager, metrics: any ProcessMetricsSource, interval: Duration) {
        self.manager = manager
        self.metrics = metrics
        self.interval = interval
    }

    /// Samples now and then every interval until ``stop()``.
    func start() {
        let interval = interval
        task.withLock {
            $0 = Task { [weak self] in
                while !Task.isCancelled {
                    await self?.sample()
                    // Periodic sampling, not synchronisation: the interval is real time even
                    // when the manager runs on a manual clock.
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }

    /// The latest reading of process `id`.
    func reading(of id: ProcessID) -> Reading? {
        samples.withLock { $0[id]?.reading }
    }

    /// Takes one sample of every running process.
    func sample() async {
        var workerCalls: [ProcessID: Int] = [:]
        for pool in manager.pools {
            for worker in pool.stats.workers { workerCalls[worker.id] = worker.processed }
        }
        var fresh: [ProcessID: (pid: Int32, cpu: Duration?, rss: Int?, calls: Int?)] = [:]
        for info in manager.processes {
            guard let pid = info.pid, info.status == .running else { continue }
            var calls = workerCalls[info.id]
            if calls == nil { calls = await metrics.calls(of: info.id)?.calls }
            fresh[info.id] = (pid, ProcFS.cpuTime(of: pid), ProcFS.residentBytes(of: pid), calls)
        }
        let now = ContinuousClock.now
        samples.withLock { samples in
            var next: [ProcessID: Sample] = [:]
            for (id, reading) in fresh {
                var sample = Sample(pid: reading.pid, at: now, cpu: reading.cpu, calls: reading.calls, reading: Reading())
                sample.reading.residentBytes = reading.rss
                sample.reading.cpuSeconds = reading.cpu.map(Self.seconds)
                // Rates need the previous sample of the same incarnation.
                if let previous = samples[id], previous.pid == reading.pid {
                    let elapsed = Self.seconds(previous.at.duration(to: now))
                    if elapsed > 0 {
                        if let before = previous.cpu, let after = reading.cpu {
                            sample.reading.cpuPercent = max(0, Self.seconds(after - before) / elapsed * 100)
                        }
                        if let before = previous.calls, let after = reading.calls {
                            sample.reading.callsPerSecond = max(0, Double(after - before) / elapsed)
                        }
                    }
                }
                next[id] = sample
            }
            samples = next
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
