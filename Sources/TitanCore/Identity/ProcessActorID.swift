/// Names one managed process (or pool) for the lifetime of its `ProcessManager` entry.
///
/// The id survives restarts: a new incarnation of a crashed process keeps its id, which is
/// why a reference taken before a crash works again after the restart.
///
/// A manager makes ids from the service's name and a counter (`calculator-1`), so they read
/// well in logs and process tables. Get one from a reference (`calc.id.process`), from
/// `ProcessManager.processes`, or from an event.
public struct ProcessID: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The id's text, such as `calculator-1`.
    public let rawValue: String

    /// The id whose text is `rawValue`. A manager chooses the ids of its processes; build one
    /// yourself only to name a process you know (in a test, say).
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// The id written as a string literal.
    public init(stringLiteral value: String) {
        rawValue = value
    }

    /// The id's text.
    public var description: String { rawValue }

    /// Decodes the id from a single string.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes the id as a single string.
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
    /// The process that hosts the actor: a managed process, a pool (whose calls go to one of
    /// its workers), or the caller's own process.
    public let process: ProcessID
    /// The actor within its process: 0 for the service the process was spawned for.
    public let instance: UInt64

    /// The id of actor `instance` in `process`. The actor system assigns ids; build one
    /// yourself only to resolve a reference you know is hosted there.
    public init(process: ProcessID, instance: UInt64) {
        self.process = process
        self.instance = instance
    }

    /// `process#instance`, as `calculator-1#0`.
    public var description: String { "\(process)#\(instance)" }
}
