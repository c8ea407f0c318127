import Distributed
import Glibc
import TitanPM
import TitanProcess

/// Which program a process runs, as seen from its parent.
public struct ChildImage: Codable, Sendable, Hashable {
    /// The child's pid.
    public var pid: Int32
    /// The identity of the file the child runs (`/proc/PID/exe`).
    public var image: String
    /// Whether that is the very file its parent runs.
    public var sameAsParent: Bool
}

/// A parent in a child: runs a ``ProcessManager`` of its own, so a test can replace the
/// probe's executable on disk and see what the probe's children run afterwards.
public distributed actor DeployProbe: ProcessService {
    public static let name = "deploy-probe"

    private let manager = ProcessManager()
    private var pool: ProcessPool<Calculator>?

    /// The identity of the program this process runs.
    public distributed func image() -> String {
        ImageIdentity.currentProcess()?.description ?? "unknown"
    }

    /// Spawns a calculator from this process and reports what it runs.
    public distributed func spawnCalculator() async throws -> ChildImage {
        let calculator = try await manager.spawn(Calculator.self)
        return Self.describe(try await calculator.pid())
    }

    /// Starts a pool of `size` calculators; their pids.
    public distributed func startPool(size: Int) async throws -> [Int32] {
        let pool = try await manager.pool(Calculator.self, options: PoolOptions(size: .fixed(size)))
        self.pool = pool
        return pool.workers.compactMap { manager.process(id: $0)?.pid }
    }

    /// Kills one worker of the pool and reports what its replacement runs.
    public distributed func replacePoolWorker() async throws -> ChildImage {
        guard let pool, let victim = pool.workers.first else { throw ProcessError.unsupported("no pool") }
        let events = pool.events
        try manager.kill(victim)
        for await event in events where event.kind == .workerStarted {
            if let worker = event.worker, let pid = manager.process(id: worker)?.pid {
                return Self.describe(pid)
            }
        }
        throw ProcessError.unsupported("the pool ended without a replacement")
    }

    /// How many workers the pool runs now.
    public distributed func poolSize() -> Int { pool?.workers.count ?? 0 }

    public func shutdown() async {
        await manager.shutdown(timeout: .seconds(2))
    }

    private static func describe(_ pid: Int32) -> ChildImage {
        let child = ImageIdentity(path: "/proc/\(pid)/exe")
        let own = ImageIdentity.currentProcess()
        return ChildImage(pid: pid, image: child?.description ?? "unknown", sameAsParent: child != nil && child == own)
    }
}
