import Distributed
import Glibc
import Synchronization
import TitanPM

/// When things happened in a ``ResourceHog``'s process, on CLOCK_MONOTONIC: recorded outside
/// the actor, so that a record does not wait for a busy actor.
private let timeline = Mutex<[String: UInt64]>([:])

private func monotonicNow() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// A service that uses as much of a resource as it is asked to, for tests of limits.
public distributed actor ResourceHog: ProcessService {
    public static let name = "resource-hog"

    private var held: [[UInt8]] = []

    /// Allocates and touches `megabytes` more memory, a megabyte at a time, pausing
    /// `pauseMicroseconds` after each; returns the resident total it reached.
    public distributed func allocate(megabytes: Int, pauseMicroseconds: Int = 0) -> Int {
        for _ in 0..<megabytes {
            held.append([UInt8](repeating: 1, count: 1 << 20))
            if pauseMicroseconds > 0 { usleep(UInt32(pauseMicroseconds)) }
        }
        return held.count
    }

    /// Keeps a CPU busy for `milliseconds` of wall time without ever suspending: the actor,
    /// and the connection's reader thread it runs on, are held all along. Records "burnEnded".
    public distributed func burn(milliseconds: Int) -> Int {
        let x = spin(milliseconds: milliseconds)
        timeline.withLock { $0["burnEnded"] = monotonicNow() }
        return Int(truncatingIfNeeded: x & 1)
    }

    /// Waits (suspended, the actor free) up to a minute; records "cancelled" the moment its
    /// task is cancelled. Returns whether it was.
    public distributed func awaitCancellation() async -> Bool {
        await withTaskCancellationHandler {
            try? await Task.sleep(for: .seconds(60))
            return Task.isCancelled
        } onCancel: {
            timeline.withLock { $0["cancelled"] = monotonicNow() }
        }
    }

    /// What was recorded, and when.
    public distributed func recorded() -> [String: UInt64] { timeline.withLock { $0 } }

    /// Opens /dev/null until that fails (or `limit` are open); how many it opened, and the
    /// errno of the failure (0 if none). Closes them all before returning.
    public distributed func openFiles(limit: Int) -> [Int32] {
        var opened: [Int32] = []
        var failure: Int32 = 0
        while opened.count < limit {
            let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                failure = errno
                break
            }
            opened.append(fd)
        }
        for fd in opened { close(fd) }
        return [Int32(opened.count), failure]
    }

    public distributed func pid() -> Int32 { getpid() }
}
