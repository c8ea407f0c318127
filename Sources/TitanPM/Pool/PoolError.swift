/// An error of a ``ProcessPool`` itself; a worker's own errors arrive as for any call.
///
/// Match on ``code``, a set that grows without breaking a `switch` that has a `default`.
public struct PoolError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// What went wrong. New codes may be added in any release.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        /// The code's name, as `queueFull`.
        public let rawValue: String

        /// The code named `rawValue`; use the static members.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// Every worker is busy and the queue holds its maximum (``PoolError/limit``): back off and retry.
        public static let queueFull = Code(rawValue: "queueFull")
        /// The call waited in the queue for ``PoolError/timeout`` without a worker freeing up.
        public static let queueTimeout = Code(rawValue: "queueTimeout")
        /// The pool is draining or shut down and takes no new calls.
        public static let closed = Code(rawValue: "closed")
        /// The pool has no worker that could take the call (all dead, or failing to start).
        public static let noWorkers = Code(rawValue: "noWorkers")

        /// The code's name.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// What happened, in words.
    public var message: String
    /// The queue's size limit, for ``Code/queueFull``.
    public var limit: Int?
    /// How long the call waited, for ``Code/queueTimeout``.
    public var timeout: Duration?

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String, limit: Int? = nil, timeout: Duration? = nil) {
        self.code = code
        self.message = message
        self.limit = limit
        self.timeout = timeout
    }

    /// The ``message``.
    public var description: String { message }

    /// The queue holds `limit` calls already.
    public static func queueFull(limit: Int) -> PoolError {
        PoolError(.queueFull, "pool queue full (\(limit) calls waiting)", limit: limit)
    }

    /// No worker freed up within `timeout`.
    public static func queueTimeout(after timeout: Duration) -> PoolError {
        PoolError(.queueTimeout, "no pool worker became free within \(timeout)", timeout: timeout)
    }

    /// The pool takes no new calls.
    public static var closed: PoolError {
        PoolError(.closed, "the pool takes no new calls")
    }

    /// No worker can take the call.
    public static var noWorkers: PoolError {
        PoolError(.noWorkers, "the pool has no worker that can take the call")
    }
}
