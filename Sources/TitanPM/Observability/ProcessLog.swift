import FoundationEssentials
import Glibc
import Logging
import Synchronization
import TitanCore
import TitanTelemetry

/// The lines of one managed process, across its incarnations: received on the threads that
/// read its pipes, handled on the manager's log thread (``LogPipeline``), kept for
/// ``ProcessManager/logs(of:last:follow:)``.
final class ProcessLog: Sendable {
    private struct State {
        var recent: [LogLine] = []
        var head = 0
        var nextSequence: UInt64 = 1
        var received = 0
        var dropped = 0
        var handled = 0
        /// Lines offered and not yet handled.
        var pending = 0
    }

    let process: ProcessID
    let service: String
    private let pipeline: LogPipeline
    private let state = Mutex(State())
    private let followers = Broadcast<LogLine>()
    /// Touched on the log thread only.
    nonisolated(unsafe) private var file: RotatingLogFile?
    private let fileOpened = Atomic<Bool>(false)
    private let linesCounter: [LogSource: CounterBox]
    private let droppedCounter: CounterBox?

    init(process: ProcessID, service: String, pipeline: LogPipeline) {
        self.process = process
        self.service = service
        self.pipeline = pipeline
        if let registry = pipeline.registry {
            let dimensions = [(TitanMetricNames.service, service), (TitanMetricNames.process, process.rawValue)]
            var counters: [LogSource: CounterBox] = [:]
            for source in [LogSource.stdout, .stderr, .log] {
                counters[source] = registry.counter(TitanMetricNames.logLines, dimensions + [(TitanMetricNames.stream, source.rawValue)])
            }
            linesCounter = counters
            droppedCounter = registry.counter(TitanMetricNames.logLinesDropped, dimensions)
        } else {
            linesCounter = [:]
            droppedCounter = nil
        }
    }

    /// The handler for the incarnation with OS process id `pid`.
    func output(pid: Int32) -> any ChildOutputHandler {
        IncarnationOutput(log: self, pid: pid)
    }

    var stats: ProcessLogStats {
        state.withLock { ProcessLogStats(received: $0.received, dropped: $0.dropped, handled: $0.handled) }
    }

    // MARK: Reader threads

    /// Takes a line if this process has room in the queue; the line is made only then.
    func offer(_ make: () -> LogLine) {
        let admitted = state.withLock { state -> Bool in
            state.received += 1
            guard state.pending < pipeline.options.bufferedLines else {
                state.dropped += 1
                return false
            }
            state.pending += 1
            return true
        }
        guard admitted else {
            droppedCounter?.increment(by: 1)
            return
        }
        pipeline.enqueue(self, make())
    }

    // MARK: Log thread

    /// Numbers, keeps, files and re-emits `line`; returns it numbered, for ``publish(_:)``.
    func handle(_ line: LogLine, logger: Logger) -> LogLine {
        var line = line
        state.withLock { state in
            line.sequence = state.nextSequence
            state.nextSequence += 1
            state.pending -= 1
            state.handled += 1
            let limit = pipeline.options.recentLines
            guard limit > 0 else { return }
            if state.recent.count < limit {
                state.recent.append(line)
            } else {
                state.recent[state.head] = line
                state.head = (state.head + 1) % limit
            }
        }
        linesCounter[line.source]?.increment(by: 1)
        if let directory = pipeline.options.directory {
            if !fileOpened.exchange(true, ordering: .relaxed) {
                file = RotatingLogFile(path: "\(directory)/\(process).log", rotation: pipeline.options.rotation)
            }
            file?.append(Array(Self.fileText(line).utf8))
        }
        if pipeline.options.reemit, logger.logLevel <= line.level {
            var metadata: Logger.Metadata = [
                "process": "\(process)", "pid": "\(line.pid)", "service": "\(service)", "stream": "\(line.source)",
            ]
            for (key, value) in line.metadata { metadata[key] = "\(value)" }
            logger.log(level: line.level, "\(line.message)", metadata: metadata, source: line.label ?? service)
        }
        return line
    }

    /// Hands a handled line to the followers (after its batch was written to the file, so a
    /// follower that sees a line finds it filed and re-emitted).
    func publish(_ line: LogLine) {
        followers.emit(line)
    }

    /// Writes what the file has buffered (end of a batch).
    func flushFile() {
        file?.flush()
    }

    private static func fileText(_ line: LogLine) -> String {
        let nanos = Int64(line.time.timeIntervalSince1970 * 1e9)
        var text = "\(timestampText(nanos)) [\(line.pid)] \(line.source) \(line.level): \(line.message)"
        for (key, value) in line.metadata.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(value)" }
        return text + "\n"
    }

    // MARK: Readers

    /// The last `last` lines kept, then (with `follow`) every line from now on, until the
    /// process is forgotten or the manager shuts down.
    func lines(last: Int, follow: Bool) -> AsyncStream<LogLine> {
        let live = follow ? followers.subscribe() : nil
        let recent = state.withLock { state -> [LogLine] in
            let ordered = Array(state.recent[state.head...] + state.recent[..<state.head])
            return Array(ordered.suffix(max(0, last)))
        }
        let (stream, continuation) = AsyncStream.makeStream(of: LogLine.self, bufferingPolicy: .bufferingNewest(max(1024, recent.count)))
        for line in recent { continuation.yield(line) }
        guard let live else {
            continuation.finish()
            return stream
        }
        // Lines handled between subscribing and reading the kept ones arrive twice: skip them.
        let seen = recent.last?.sequence ?? 0
        let task = Task {
            for await line in live where line.sequence > seen {
                continuation.yield(line)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Ends every follower's stream.
    func finish() {
        followers.finish()
    }
}

/// What one incarnation writes, turned into lines for its process's log.
private final class IncarnationOutput: ChildOutputHandler {
    let log: ProcessLog
    let pid: Int32

    init(log: ProcessLog, pid: Int32) {
        self.log = log
        self.pid = pid
    }

    func line(_ bytes: UnsafeRawBufferPointer, stream: LogSource) {
        log.offer {
            LogLine(
                process: log.process, service: log.service, pid: pid, source: stream, time: Date(),
                level: stream == .stderr ? .error : .info, message: String(decoding: bytes, as: UTF8.self)
            )
        }
    }

    func record(_ record: LogRecord) {
        log.offer {
            LogLine(
                process: log.process, service: log.service, pid: pid, source: .log,
                time: Date(timeIntervalSince1970: Double(record.timeNanoseconds) / 1e9),
                level: record.level, message: record.message, metadata: record.metadata, label: record.label
            )
        }
    }

    func closed() {}
}
