import Glibc
import TitanCore
import TitanTransport
import TitanWire

/// Runs the tasks of incoming calls on their connection's reader thread.
///
/// A call's task prefers this executor, and a default actor runs on its caller's preferred
/// executor, so a call whose actor is free runs start to finish on the thread that read it —
/// no hop to the cooperative pool, one thread wake per call instead of two. Jobs enqueued
/// from any other thread (a task resuming after a sleep, an actor that was busy elsewhere)
/// go to the global executor instead: the reader thread may be blocked in `read`.
package final class ReaderExecutor: TaskExecutor, @unchecked Sendable {
    // `local` is only touched on the reader thread: `enqueue` checks the thread before it
    // appends. `readerThread` is written once, on the reader thread, before any task exists.
    private var local: [UnownedJob] = []
    private var readerThread: pthread_t?

    /// Call on the reader thread before it starts any task.
    func bindToCurrentThread() {
        readerThread = pthread_self()
    }

    /// Whether the caller runs on the reader thread.
    var isOnReaderThread: Bool {
        guard let readerThread else { return false }
        return pthread_equal(readerThread, pthread_self()) != 0
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        if isOnReaderThread {
            local.append(UnownedJob(job))
        } else {
            globalConcurrentExecutor.enqueue(job)
        }
    }

    /// Runs the jobs queued on the reader thread, including those they queue. Reader thread only.
    func runPending() {
        var index = 0
        while index < local.count {
            let job = local[index]
            index += 1
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
        local.removeAll(keepingCapacity: true)
    }
}
