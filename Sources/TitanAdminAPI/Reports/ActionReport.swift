/// What an action did, from ``AdminOperation/restart``, ``AdminOperation/stop``,
/// ``AdminOperation/kill``, ``AdminOperation/scale`` and ``AdminOperation/spawn``.
public struct ActionReport: Codable, Sendable, Hashable {
    /// One process the action touched.
    public struct Change: Codable, Sendable, Hashable {
        /// The process id.
        public var process: String
        /// The OS pid before the action.
        public var pidBefore: Int32?
        /// The OS pid after it; nil once stopped.
        public var pidAfter: Int32?
        /// The status (`running`, `stopped`, ...).
        public var status: String

        /// Creates a value with the given fields.
        public init(process: String, pidBefore: Int32?, pidAfter: Int32?, status: String) {
            self.process = process
            self.pidBefore = pidBefore
            self.pidAfter = pidAfter
            self.status = status
        }
    }

    /// One sentence for a person.
    public var message: String
    /// The processes the action touched.
    public var changes: [Change]
    /// A pool's size after ``AdminOperation/scale``.
    public var size: Int?

    /// Creates a value with the given fields.
    public init(message: String, changes: [Change] = [], size: Int? = nil) {
        self.message = message
        self.changes = changes
        self.size = size
    }
}

/// The outcome of ``AdminOperation/invoke``.
public struct InvokeReport: Codable, Sendable, Hashable {
    /// The process (or pool) called.
    public var target: String
    /// The method called, with its labels.
    public var method: String
    /// The result as JSON (`null` for a method without one).
    public var result: JSONValue
    /// How long the call took, in seconds.
    public var seconds: Double

    /// Creates a value with the given fields.
    public init(target: String, method: String, result: JSONValue, seconds: Double) {
        self.target = target
        self.method = method
        self.result = result
        self.seconds = seconds
    }

    private enum CodingKeys: String, CodingKey {
        case target, method, result, seconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        target = try container.decode(String.self, forKey: .target)
        method = try container.decode(String.self, forKey: .method)
        // A JSON null result is a value here (a method that returned nil), not a missing one.
        result = try container.decodeIfPresent(JSONValue.self, forKey: .result) ?? .null
        seconds = try container.decode(Double.self, forKey: .seconds)
    }
}
