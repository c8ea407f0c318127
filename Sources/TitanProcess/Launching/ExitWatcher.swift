import CTitan
import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

/// Reaps child processes and reports how each ended, from one thread.
///
/// Each watched child has a pidfd; the thread polls them all (plus a pipe that wakes it when
/// a child is added) and, when one becomes readable, reaps exactly that child with `waitpid`.
/// No SIGCHLD handler is installed, so other code that starts processes is not disturbed,
/// and no watched child stays a zombie.
package final class ExitWatcher: Sendable {
    private struct Watched {
        var pid: Int32
        var pidfd: Int32
        var onExit: @Sendable (Termination) -> Void
    }

    package static let shared = ExitWatcher()

    private let watched = Mutex<[Watched]>([])
    private let thread = LazyThread(name: "titan-reaper")
    private let wakeRead: Int32
    private let wakeWrite: Int32

    private init() {
        var fds: [Int32] = [-1, -1]
        let rc = titan_pipe_cloexec(&fds)
        precondition(rc == 0, "pipe2 failed: \(errno)")
        wakeRead = fds[0]
        wakeWrite = fds[1]
        // The wake pipe must never block the thread that adds a child.
        _ = fcntl(wakeWrite, F_SETFL, fcntl(wakeWrite, F_GETFL) | O_NONBLOCK)
        _ = fcntl(wakeRead, F_SETFL, fcntl(wakeRead, F_GETFL) | O_NONBLOCK)
    }

    /// Starts watching `pid`, a child of this process. `onExit` runs once, on the watcher
    /// thread, after the child has been reaped — also if it had already exited.
    package func watch(pid: Int32, onExit: @escaping @Sendable (Termination) -> Void) throws(SpawnFailure) {
        let pidfd = titan_pidfd_open(pid)
        guard pidfd >= 0 else { throw SpawnFailure(executable: "pid \(pid)", errno: errno) }
        watched.withLock { $0.append(Watched(pid: pid, pidfd: pidfd, onExit: onExit)) }
        if !thread.start({ [self] in run() }) {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
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

    private func run() {
        var drain = [UInt8](repeating: 0, count: 64)
        while true {
            let children = watched.withLock { $0 }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            fds += children.map { pollfd(fd: $0.pidfd, events: Int16(POLLIN), revents: 0) }
            let rc = poll(&fds, nfds_t(fds.count), -1)
            if rc < 0 { continue } // EINTR
            if fds[0].revents != 0 {
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
            for (index, child) in children.enumerated() where fds[index + 1].revents != 0 {
                var value: Int32 = 0
                let kind = titan_reap(child.pid, &value)
                // Unlist before closing: the descriptor number may be reused at once.
                watched.withLock { $0.removeAll { $0.pidfd == child.pidfd } }
                close(child.pidfd)
                switch kind {
                case 0: child.onExit(.exited(code: value))
                case 1: child.onExit(.signaled(Signal(rawValue: value)))
                default: child.onExit(.exited(code: -1)) // reaped by someone else
                }
            }
        }
    }
}
