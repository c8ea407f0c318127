import Glibc
import Logging
import Synchronization
import TitanCore
import TitanTelemetry

/// The `LogHandler` of a child whose parent collects its logs: every record goes to the
/// parent as a ``LogRecord`` on the log pipe, where the parent re-emits it with its own
/// `Logger`, adding the process's id, pid and service.
///
/// Logging never blocks the service: records wait in a bounded queue that one thread writes
/// to the pipe; when the queue is full, records are dropped and counted, and the next record
/// that gets through is preceded by a warning that says how many were lost.
struct ForwardingLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let label: String
    let metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        if let error = event.error { merged["error"] = "\(error)" }
        var flat: [String: String] = [:]
        for (key, value) in merged { flat[key] = "\(value)" }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        LogForwarder.shared.send(LogRecord(
            timeNanoseconds: Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec),
            level: event.level, message: event.message.description, metadata: flat, label: label,
            source: event.source, file: event.file, function: event.function, line: event.line
        ))
    }
}

/// The queue and the thread between a child's log handlers and the log pipe.
final class LogForwarder: Sendable {
    static let shared = LogForwarder(fd: ChildEnvironment.logFD)

    /// Records that may wait for the pipe before new ones are dropped.
    static let capacity = 4096

    private struct State {
        var queue: [LogRecord] = []
        var dropped = 0
        var writing = false
        var flushRequested = false
    }

    private let fd: Int32
    private let state = Mutex(State())
    private let wakeup = Semaphore()
    private let thread = LazyThread(name: "titan-logfwd")
    private let flushed = Semaphore()

    init(fd: Int32) {
        self.fd = fd
    }

    func send(_ record: LogRecord) {
        let accepted = state.withLock { state -> Bool in
            guard state.queue.count < Self.capacity else {
                state.dropped += 1
                return false
            }
            state.queue.append(record)
            return true
        }
        guard accepted else { return }
        thread.start { [self] in run() }
        wakeup.signal()
    }

    private func run() {
        while true {
            wakeup.wait()
            let (records, dropped) = state.withLock { state -> ([LogRecord], Int) in
                defer {
                    state.queue.removeAll(keepingCapacity: true)
                    state.dropped = 0
                    state.writing = true
                }
                return (state.queue, state.dropped)
            }
            defer {
                let notify = state.withLock { state -> Bool in
                    state.writing = false
                    guard state.queue.isEmpty, state.flushRequested else { return false }
                    state.flushRequested = false
                    return true
                }
                if notify { flushed.signal() }
            }
            var bytes: [UInt8] = []
            if dropped > 0, let first = records.first {
                var warning = first
                warning.level = .warning
                warning.message = "\(dropped) log records dropped: the process logged faster than they could be sent"
                warning.metadata = [:]
                bytes += warning.frame()
            }
            for record in records { bytes += record.frame() }
            guard !bytes.isEmpty, write(bytes) else { continue }
        }
    }

    /// Waits, at most `timeout`, until every record logged so far is on the pipe: called
    /// before the process exits, so its last words reach the parent.
    func flush(timeout: Duration) {
        let pending = state.withLock { state -> Bool in
            guard !state.queue.isEmpty || state.writing else { return false }
            state.flushRequested = true
            return true
        }
        if pending { _ = flushed.wait(timeout: timeout) }
    }

    /// Writes all of `bytes`; false once the pipe is gone (the parent stopped reading).
    private func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }
}
