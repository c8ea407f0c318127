import CTitan
import Glibc

/// Starts a detached OS thread that runs `body` once.
///
/// The runtime's blocking loops (socket readers, the exit watcher, the launcher) each own a
/// thread so they never occupy one of Swift concurrency's few cooperative threads.
package func startDetachedThread(name: String, _ body: @escaping @Sendable () -> Void) {
    final class Box: Sendable {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    defer { pthread_attr_destroy(&attr) }
    pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let rc = pthread_create(&thread, &attr, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        // Linux limits thread names to 15 bytes plus the terminator.
        _ = titan_set_thread_name(String(box.name.utf8.prefix(15))!)
        box.body()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed: \(rc)")
}

/// Gives the calling thread a nice value of `nice` (Linux schedules threads, so this is the
/// thread's alone): for background work that must yield to the threads serving calls.
package func lowerCurrentThreadPriority(nice: Int32 = 10) {
    _ = titan_set_thread_nice(nice)
}
