/// One event on the bus as it travels: its type's name and its encoded value.
struct BusEvent: Codable, Sendable {
    var type: String
    var payload: [UInt8]
}

/// What the manager sends a subscribing process at once: the events queued for it, in order,
/// and how many of each type it had to drop since the last delivery because the process's
/// queue was full (see ``EventBroker``).
struct BusDelivery: Codable, Sendable {
    var events: [BusEvent]
    var dropped: [String: Int]
}

/// The name an event type travels under: its fully qualified Swift name.
func eventTypeName<E>(_ type: E.Type) -> String {
    String(reflecting: type)
}

/// What one process asks of the manager for one event type: whether a subscriber there slows
/// publishers, and the largest buffer among its subscribers — how far behind the manager lets
/// the process fall before it drops (or, slowing publishers, waits).
struct TypeDemand: Codable, Sendable, Hashable {
    var blocking: Bool
    var buffer: Int
}
