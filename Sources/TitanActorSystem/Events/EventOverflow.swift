/// What a subscriber's buffer does when an event arrives and it is full.
///
/// Delivery is at most once: an event dropped by a policy is counted
/// (``EventSubscription/dropped``), never redelivered.
public struct EventOverflow: Sendable, Hashable, CustomStringConvertible {
    private enum Policy: Hashable {
        case dropOldest, dropNewest, slowPublisher
    }

    private let policy: Policy

    /// Drop the oldest buffered event to make room: the subscriber sees the latest events.
    public static let dropOldest = EventOverflow(policy: .dropOldest)
    /// Drop the arriving event: the subscriber sees the earliest events.
    public static let dropNewest = EventOverflow(policy: .dropNewest)
    /// Drop nothing: wait for room, which holds up the delivery to this process and, through
    /// it, every publisher of the type until the subscriber catches up.
    public static let slowPublisher = EventOverflow(policy: .slowPublisher)

    /// Whether this policy holds up publishers instead of dropping.
    package var blocks: Bool { policy == .slowPublisher }
    package var dropsOldest: Bool { policy == .dropOldest }

    /// The policy's name.
    public var description: String {
        switch policy {
        case .dropOldest: "dropOldest"
        case .dropNewest: "dropNewest"
        case .slowPublisher: "slowPublisher"
        }
    }
}
