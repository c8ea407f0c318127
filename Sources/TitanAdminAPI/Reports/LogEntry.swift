/// One line a process wrote, from ``AdminOperation/logs``.
public struct LogEntry: Codable, Sendable, Hashable {
    /// Seconds since 1970.
    public var time: Double
    /// The process id.
    public var process: String
    /// The OS process id.
    public var pid: Int32?
    /// `stdout`, `stderr` or `log` (a swift-log record).
    public var stream: String
    /// The record's level, for swift-log records.
    public var level: String?
    /// The line, without its newline.
    public var text: String

    /// Creates a value with the given fields.
    public init(time: Double, process: String, pid: Int32?, stream: String, level: String?, text: String) {
        self.time = time
        self.process = process
        self.pid = pid
        self.stream = stream
        self.level = level
        self.text = text
    }
}
