/// One request to a manager's admin endpoint: a JSON object on one line.
///
/// ```json
/// {"id":1,"op":"status"}
/// {"id":2,"op":"restart","name":"calculator-1"}
/// {"id":3,"op":"scale","name":"resizer-pool-1","count":4}
/// {"id":4,"op":"events","follow":true}
/// ```
///
/// Fields an operation does not use are ignored; see ``AdminOperation`` for which it uses.
public struct AdminRequest: Codable, Sendable, Hashable {
    /// Echoed in every reply to this request, so a client can match them.
    public var id: Int?
    /// The operation.
    public var op: AdminOperation
    /// A process id, pool id, supervisor name or service name.
    public var name: String?
    /// The new size for ``AdminOperation/scale``; how many past lines or events for
    /// ``AdminOperation/logs`` and ``AdminOperation/events``.
    public var count: Int?
    /// Keep the reply open and stream new log lines or events as they happen.
    public var follow: Bool?
    /// Restart one at a time without failing a call (a process is reloaded).
    public var rolling: Bool?
    /// Seconds each step of a stop may take before the next, harsher one.
    public var timeout: Double?
    /// A signal name (`TERM`, `KILL`, `INT`, `HUP`, `USR1`, `USR2`) for ``AdminOperation/kill``.
    public var signal: String?
    /// The method for ``AdminOperation/invoke``, as `titan service NAME --methods` lists it.
    public var method: String?
    /// Arguments for ``AdminOperation/invoke`` (an array in order, or an object by label), or
    /// the configuration for ``AdminOperation/spawn``.
    public var arguments: JSONValue?
    /// The endpoint's token; required on TCP, ignored on the Unix socket.
    public var token: String?

    /// Creates a value with the given fields.
    public init(
        id: Int? = nil, op: AdminOperation, name: String? = nil, count: Int? = nil, follow: Bool? = nil,
        rolling: Bool? = nil, timeout: Double? = nil, signal: String? = nil, method: String? = nil,
        arguments: JSONValue? = nil, token: String? = nil
    ) {
        self.id = id
        self.op = op
        self.name = name
        self.count = count
        self.follow = follow
        self.rolling = rolling
        self.timeout = timeout
        self.signal = signal
        self.method = method
        self.arguments = arguments
        self.token = token
    }
}
