/// One line a process wrote, from ``AdminOperation/logs``.
public struct LogEntry: Codable, Sendable, Hashable {
    /// Seconds since 1970.
    public var time: Double
    public var process: String
    public var pid: Int32?
    /// `stdout`, `stderr` or `log` (a swift-log record).
    public var stream: String
    /// The record's level, for swift-log records.
    public var level: String?
    public var text: String

    public init(time: Double, process: String, pid: Int32?, stream: String, level: String?, text: String) {
        self.time = time
        self.process = process
        self.pid = pid
        self.stream = stream
        self.level = level
        self.text = text
    }
}
