import Distributed
import Glibc
import TitanPM

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

    /// Keeps a CPU busy for `milliseconds` of wall time.
    public distributed func burn(milliseconds: Int) -> Int {
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(milliseconds)
        var x: UInt64 = 1
        while clock.now < end {
            for _ in 0..<10_000 { x = x &* 6_364_136_223_846_793_005 &+ 1 }
        }
        return Int(truncatingIfNeeded: x & 1)
    }

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
