import CTitan
import Glibc
import Synchronization
import TitanCore

/// The one thread for the children's bookkeeping: it waits (epoll) on every child's pidfd
/// (exits), the parent's end of its control channel (replies) and the pipes of its output,
/// and runs a descriptor's handler when it is ready.
///
/// One thread for all children, so a manager with hundreds of children pays one thread, not
/// one or more each. Handlers run on the loop's thread, one at a time, so two handlers never
/// race; they must not block, and read at most a bounded amount per turn (the descriptor is
/// level-triggered: what is left is reported again on the next turn), so a child that floods
/// its output cannot starve the exits and replies of the others.
package final class PollLoop: Sendable {
    /// What to run when a watched descriptor is ready; returns whether to keep watching it.
    package typealias Handler = @Sendable () -> Bool

    private struct Entry {
        var fd: Int32
        var handler: Handler
    }

    /// The loop the exit watcher, the control links and the children's output share.
    package static let shared = PollLoop(name: "titan-poll")

    private let epoll: Int32
    private let entries = Mutex<(next: UInt64, all: [UInt64: Entry])>((1, [:]))
    private let thread: LazyThread
    /// The loop's thread, once it runs (``finish(_:)`` may only be called there).
    private let loopThread = Atomic<UInt>(0)

    private init(name: String) {
        thread = LazyThread(name: name)
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epoll >= 0, "epoll_create1 failed: \(errno)")
    }

    /// Watches `fd` for input, hang-up or error until `handler` returns false; the loop then
    /// stops watching and closes `fd`. From this call on the descriptor belongs to the loop:
    /// its owner must not close it (a number closed elsewhere could be reused by a descriptor
    /// being added, and the loop would drop the newcomer's watch). Throws, and leaves `fd` to
    /// its owner, if the descriptor cannot be watched.
    package func watch(_ fd: Int32, handler: @escaping Handler) throws(SpawnFailure) {
        let token = entries.withLock { entries -> UInt64 in
            defer { entries.next += 1 }
            entries.all[entries.next] = Entry(fd: fd, handler: handler)
            return entries.next
        }
        thread.start { [self] in run() }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        event.data.u64 = token
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else {
            let error = errno
            entries.withLock { _ = $0.all.removeValue(forKey: token) }
            throw SpawnFailure(executable: "epoll (descriptor \(fd))", errno: error)
        }
    }

    /// Ends the watch of `fd` at once and closes it, from a handler that is done with another
    /// descriptor (a child's exit ends its pipes and channel): whatever that handler reports
    /// next finds the descriptor closed, rather than closed a turn later. Only on the loop's
    /// thread, where no handler of `fd` can be running; elsewhere, and for a descriptor not
    /// watched, it does nothing (the loop closes the descriptor when its handler ends it).
    package func finish(_ fd: Int32) {
        guard pthread_self() == loopThread.load(ordering: .relaxed) else { return }
        let watched = entries.withLock { entries -> Bool in
            guard let token = entries.all.first(where: { $0.value.fd == fd })?.key else { return false }
            entries.all.removeValue(forKey: token)
            return true
        }
        guard watched else { return }
        epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
        close(fd)
    }

    private func run() {
        loopThread.store(pthread_self(), ordering: .relaxed)
        // Handlers forward children's output to this process's standard error: if that is a
        // closed pipe, the write must fail, not kill the process.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let ready = epoll_wait(epoll, &events, Int32(events.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                preconditionFailure("epoll_wait failed: \(errno)")
            }
            for event in events[0..<Int(ready)] {
                let token = event.data.u64
                // An entry already ended this turn is gone: its token is never reused.
                guard let entry = entries.withLock({ $0.all[token] }) else { continue }
                guard !entry.handler() else { continue }
                // The handler may have finished its own descriptor already.
                guard entries.withLock({ $0.all.removeValue(forKey: token) }) != nil else { continue }
                epoll_ctl(epoll, EPOLL_CTL_DEL, entry.fd, nil)
                close(entry.fd)
            }
        }
    }
}
