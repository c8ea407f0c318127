import Logging
import Synchronization
import TitanCore
import TitanTelemetry

/// The manager's one log thread and the queue in front of it: every captured line of every
/// child is numbered, kept, followed, written to its file and re-emitted here.
///
/// The thread runs at a lower priority than the threads that serve calls, so a child that
/// floods its output costs this process background time only; what it cannot keep up with
/// is dropped per process (see ``LogOptions/bufferedLines``).
final class LogPipeline: Sendable {
    let options: LogOptions
    let logger: Logger
    /// Where line counts are recorded, when metrics are on.
    let registry: MetricsRegistry?
    private let queue = Mutex<[(ProcessLog, LogLine)]>([])
    private let wakeup = Semaphore()
    private let thread = LazyThread(name: "titan-logs")
    private let logs = Mutex<[ProcessID: ProcessLog]>([:])

    init(options: LogOptions, logger: Logger, registry: MetricsRegistry?) {
        self.options = options
        self.logger = logger
        self.registry = registry
    }

    /// The log of `process`, made on first use.
    func log(of process: ProcessID, service: String) -> ProcessLog {
        logs.withLock { logs in
            if let log = logs[process] { return log }
            let log = ProcessLog(process: process, service: service, pipeline: self)
            logs[process] = log
            return log
        }
    }

    /// The log of `process`, if it has one.
    func existingLog(of process: ProcessID) -> ProcessLog? {
        logs.withLock { $0[process] }
    }

    /// Drops the log of a process that is gone for good; its followers' streams end.
    func forget(_ process: ProcessID) {
        logs.withLock { $0.removeValue(forKey: process) }?.finish()
    }

    /// Ends every follower's stream (the manager shut down).
    func finish() {
        for log in logs.withLock({ Array($0.values) }) { log.finish() }
    }

    func enqueue(_ log: ProcessLog, _ line: LogLine) {
        let first = queue.withLock { queue -> Bool in
            queue.append((log, line))
            return queue.count == 1
        }
        guard first else { return }
        thread.start { [self] in run() }
        wakeup.signal()
    }

    private func run() {
        lowerCurrentThreadPriority()
        while true {
            wakeup.wait()
            while true {
                let batch = queue.withLock { queue -> [(ProcessLog, LogLine)] in
                    defer { queue.removeAll(keepingCapacity: true) }
                    return queue
                }
                guard !batch.isEmpty else { break }
                var touched: [ObjectIdentifier: ProcessLog] = [:]
                var handled: [(ProcessLog, LogLine)] = []
                handled.reserveCapacity(batch.count)
                for (log, line) in batch {
                    handled.append((log, log.handle(line, logger: logger)))
                    touched[ObjectIdentifier(log)] = log
                }
                for log in touched.values { log.flushFile() }
                for (log, line) in handled { log.publish(line) }
            }
        }
    }
}
