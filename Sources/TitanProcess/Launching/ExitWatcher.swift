import CTitan
import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

/// Reaps child processes and reports how each ended.
///
/// Each watched child has a pidfd, watched on the shared ``PollLoop``; when one becomes
/// readable, exactly that child is reaped with `waitpid`. No SIGCHLD handler is installed, so
/// other code that starts processes is not disturbed, and no watched child stays a zombie.
package final class ExitWatcher: Sendable {
    package static let shared = ExitWatcher()

    private init() {}

    /// Starts watching `pid`, a child of this process. `onExit` runs once, on the poll loop's
    /// thread, after the child has been reaped — also if it had already exited.
    ///
    /// With `endingItsGroup`, for a child that leads its own process group, whatever is left in
    /// that group when the child exits (processes it started) is sent SIGKILL first — while the
    /// child is a zombie, so the group id cannot name anyone else yet.
    package func watch(pid: Int32, endingItsGroup: Bool = false, onExit: @escaping @Sendable (Termination) -> Void) throws(SpawnFailure) {
        let pidfd = titan_pidfd_open(pid)
        guard pidfd >= 0 else { throw SpawnFailure(executable: "pid \(pid)", errno: errno) }
        do throws(SpawnFailure) {
            try PollLoop.shared.watch(pidfd) {
                if endingItsGroup { kill(-pid, SIGKILL) }
                var value: Int32 = 0
                let kind = titan_reap(pid, &value)
                // Closed before the exit is told: whoever hears of it finds no descriptor left.
                PollLoop.shared.finish(pidfd)
                switch kind {
                case 0: onExit(.exited(code: value))
                case 1: onExit(.signaled(Signal(rawValue: value)))
                default: onExit(.exited(code: -1)) // reaped by someone else
                }
                return false
            }
        } catch {
            close(pidfd)
            throw error
        }
    }

    /// Waits for `pid` to exit, at most `timeout` on `clock`; nil if it is still running then.
    /// `pid` must not be watched already (use the `onExit` of ``watch(pid:onExit:)`` for those).
    package func waitForExit(of pid: Int32, timeout: Duration, clock: any RuntimeClock = SystemClock.shared) async throws -> Termination? {
        let exit = WaiterTable<Termination?>(clock: clock)
        let ended = Mutex<Termination?>(nil)
        try watch(pid: pid) { status in
            ended.withLock { $0 = status }
            exit.resume(0, with: .success(status))
        }
        return try await exit.wait(
            for: 0,
            deadline: clock.deadline(after: timeout),
            onDeadline: { .success(Termination?.none) },
            immediate: { ended.withLock { $0 }.map { .success($0) } }
        )
    }
}
