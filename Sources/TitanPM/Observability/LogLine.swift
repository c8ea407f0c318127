import FoundationEssentials
import Logging

/// One line a child wrote, or one swift-log record it made, as the parent received it.
public struct LogLine: Sendable, Hashable, CustomStringConvertible {
    /// The process that wrote it.
    public var process: ProcessID
    /// The process's service name.
    public var service: String
    /// The OS process id of the incarnation that wrote it.
    public var pid: Int32
    /// stdout, stderr, or a swift-log record.
    public var source: LogSource
    /// When it was received (stdout, stderr) or logged (records).
    public var time: Date
    /// The record's level; `.info` for stdout, `.error` for stderr.
    public var level: Logger.Level
    /// The line, or the record's message.
    public var message: String
    /// The record's metadata (empty for stdout and stderr).
    public var metadata: [String: String]
    /// The label of the child's `Logger` (records only).
    public var label: String?
    /// Counts the lines of one process, from 1, in the order received.
    public var sequence: UInt64

    /// A line with the given fields.
    public init(process: ProcessID, service: String, pid: Int32, source: LogSource, time: Date, level: Logger.Level, message: String,
                metadata: [String: String] = [:], label: String? = nil, sequence: UInt64 = 0) {
        self.process = process
        self.service = service
        self.pid = pid
        self.source = source
        self.time = time
        self.level = level
        self.message = message
        self.metadata = metadata
        self.label = label
        self.sequence = sequence
    }

    public var description: String {
        let meta = metadata.isEmpty ? "" : " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "\(process)[\(pid)] \(source) \(level): \(message)\(meta)"
    }
}

/// How many lines a process wrote and how many were dropped.
public struct ProcessLogStats: Sendable, Hashable {
    /// Lines and records received.
    public var received: Int
    /// Lines and records dropped because the process wrote faster than they were handled.
    public var dropped: Int
    /// Lines and records handled (re-emitted, written to the file, kept, followed).
    public var handled: Int
}
