import CTitan
import Glibc
import Synchronization
import TitanCore

/// One thread that polls descriptors for the children's bookkeeping — their pidfds (exits)
/// and the pipes of their output — and runs a handler when one is ready.
///
/// Handlers run on the loop's thread, one at a time, so two handlers never race; they must
/// not block for long. A handler returns whether to keep watching its descriptor.
package final class PollLoop: Sendable {
    /// What to run when a watched descriptor is ready; gets `revents`, returns whether to
    /// keep watching.
    package typealias Handler = @Sendable (Int16) -> Bool

    private struct Entry {
        var fd: Int32
        var handler: Handler
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextToken: UInt64 = 1
    }

    /// The loop the exit watcher and the children's output share.
    package static let shared = PollLoop(name: "titan-poll")

    private let state = Mutex(State())
    private let thread: LazyThread
    private let wakeRead: Int32
    private let wakeWrite: Int32

    private init(name: String) {
        thread = LazyThread(name: name)
        var fds: [Int32] = [-1, -1]
        let rc = titan_pipe_cloexec(&fds)
        precondition(rc == 0, "pipe2 failed: \(errno)")
        wakeRead = fds[0]
        wakeWrite = fds[1]
        // The wake pipe must never block the thread that adds a descriptor.
        _ = fcntl(wakeWrite, F_SETFL, fcntl(wakeWrite, F_GETFL) | O_NONBLOCK)
        _ = fcntl(wakeRead, F_SETFL, fcntl(wakeRead, F_GETFL) | O_NONBLOCK)
    }

    /// Watches `fd` for input (or hang-up, or error) until `handler` returns false.
    package func watch(_ fd: Int32, handler: @escaping Handler) {
        state.withLock { state in
            state.entries[state.nextToken] = Entry(fd: fd, handler: handler)
            state.nextToken += 1
        }
        if !thread.start({ [self] in run() }) {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
    }

    private func run() {
        // Handlers forward children's output to this process's standard error: if that is a
        // closed pipe, the write must fail, not kill the process.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        var drain = [UInt8](repeating: 0, count: 64)
        while true {
            let entries = state.withLock { Array($0.entries) }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            fds += entries.map { pollfd(fd: $0.value.fd, events: Int16(POLLIN), revents: 0) }
            let rc = poll(&fds, nfds_t(fds.count), -1)
            if rc < 0 { continue } // EINTR
            if fds[0].revents != 0 {
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
            for (index, entry) in entries.enumerated() where fds[index + 1].revents != 0 {
                // Unlisted by token before the next poll: a handler that closes its descriptor
                // may see the number reused at once by one being added.
                if !entry.value.handler(fds[index + 1].revents) {
                    state.withLock { _ = $0.entries.removeValue(forKey: entry.key) }
                }
            }
        }
    }
}
