import Glibc
import Synchronization
import Testing
import TitanPMTestKit
@testable import TitanPM
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// The whole suite runs serially: several tests count this process's descriptors and child
/// processes, which parallel tests would disturb.
@Suite(.serialized) struct TitanPMTests {}

/// Path of the `titan-test-host` executable built next to the test binary.
let testHostPath: String = {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let exe = String(cString: Array(buffer[0..<max(n, 0)]) + [0])
    let directory = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return directory + "/titan-test-host"
}()

/// Whether `pid` is a live (not zombie) process.
func isAlive(_ pid: Int32) -> Bool {
    ProcFS.isAlive(pid)
}

/// Polls a condition that has no event to await (descriptor counts, process table entries),
/// until it holds or `timeout` passes.
func eventually(_ timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A counter a test can read while another task increments it.
final class AsyncCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    /// The current value, then increments it.
    func take() -> Int {
        count.withLock { n in
            defer { n += 1 }
            return n
        }
    }
    var value: Int { count.withLock { $0 } }
}
