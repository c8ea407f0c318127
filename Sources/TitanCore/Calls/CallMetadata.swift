/// Key–value pairs that travel with a call, beside its arguments: the caller's deadline, a
/// trace context, an idempotency key, and whatever interceptors add.
///
/// Set on the calling side by interceptors or by
/// `ProcessActorSystem.withCallMetadata(_:_:)`; read on the serving side through
/// `ProcessActorSystem.currentCall`. Keys are lowercase by convention; the keys below are
/// the runtime's own.
public struct CallMetadata: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    private var entries: [String: String]

    /// How long the caller was prepared to wait, measured when the call was sent; the serving
    /// side turns it into a deadline on its own clock when the call arrives. It travels in a
    /// field of its own, not among the entries.
    public var deadline: Duration?

    /// Metadata with `entries`.
    public init(_ entries: [String: String] = [:]) {
        self.entries = entries
    }

    /// Metadata with the given entries.
    public init(dictionaryLiteral elements: (String, String)...) {
        entries = Dictionary(elements, uniquingKeysWith: { $1 })
    }

    /// The value under `key`, or nil.
    public subscript(key: String) -> String? {
        get { entries[key] }
        set { entries[key] = newValue }
    }

    /// Whether there are no entries and no deadline.
    public var isEmpty: Bool { entries.isEmpty && deadline == nil }

    /// The number of entries (the deadline aside).
    public var count: Int { entries.count }

    /// The entries (the deadline aside).
    public func makeIterator() -> Dictionary<String, String>.Iterator {
        entries.makeIterator()
    }

    /// Adds every entry of `other`, replacing entries with the same key; takes `other`'s
    /// deadline if it has one.
    public mutating func merge(_ other: CallMetadata) {
        entries.merge(other.entries) { $1 }
        if let deadline = other.deadline { self.deadline = deadline }
    }

    /// The entries, and the deadline if there is one.
    public var description: String {
        deadline.map { "\(entries) deadline: \($0)" } ?? entries.description
    }

    // MARK: The runtime's keys

    /// The key of ``idempotencyKey``.
    public static let idempotencyKeyKey = "idempotency-key"
    /// The W3C trace context's `traceparent` key.
    public static let traceParentKey = "traceparent"
    /// The W3C trace context's `tracestate` key.
    public static let traceStateKey = "tracestate"

    /// A key that makes repeating the call safe: an idempotent service runs a call with a key
    /// it has seen once, and answers repeats with the stored result.
    public var idempotencyKey: String? {
        get { entries[Self.idempotencyKeyKey] }
        set { entries[Self.idempotencyKeyKey] = newValue }
    }
}
