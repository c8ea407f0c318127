/// Names one managed process (or pool) for the lifetime of its ``ProcessManager`` entry.
///
/// The id survives restarts: a new incarnation of a crashed process keeps its id, which is
/// why a reference taken before a crash works again after the restart.
public struct ProcessID: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        rawValue = value
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The identity of a distributed actor in the Titan runtime: which process hosts it and
/// which actor within that process.
///
/// The service a process was spawned for is instance 0; actors it creates later (streams,
/// callbacks) get further instance numbers.
public struct ProcessActorID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let process: ProcessID
    public let instance: UInt64

    public init(process: ProcessID, instance: UInt64) {
        self.process = process
        self.instance = instance
    }

    public var description: String { "\(process)#\(instance)" }
}
