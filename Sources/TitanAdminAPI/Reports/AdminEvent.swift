/// Something that happened in the manager, from ``AdminOperation/events``: a process changed
/// status, a pool or supervisor acted, or an operator's action ran.
public struct AdminEvent: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Numbers events in the order the endpoint saw them, from 1.
    public var sequence: Int
    /// Seconds since 1970.
    public var time: Double
    /// `process`, `pool`, `supervisor` or `admin`.
    public var source: String
    /// The process id, pool id or supervisor name the event is about.
    public var subject: String
    /// The new status, the pool or supervisor event, or the operation.
    public var kind: String
    /// The OS process id.
    public var pid: Int32?
    /// Why, or what else there is to say.
    public var detail: String?

    /// Creates a value with the given fields.
    public init(sequence: Int, time: Double, source: String, subject: String, kind: String, pid: Int32?, detail: String?) {
        self.sequence = sequence
        self.time = time
        self.source = source
        self.subject = subject
        self.kind = kind
        self.pid = pid
        self.detail = detail
    }

    public var description: String {
        var text = "\(source) \(subject) \(kind)"
        if let pid { text += " pid=\(pid)" }
        if let detail { text += ": \(detail)" }
        return text
    }
}
