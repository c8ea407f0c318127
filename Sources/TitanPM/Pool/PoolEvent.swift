import FoundationEssentials
import TitanCore

/// Something that happened to a ``ProcessPool``'s workers, delivered by ``ProcessPool/events``.
///
/// Tests and operators await these instead of polling the pool's ``ProcessPool/stats``.
public struct PoolEvent: Sendable, Hashable, CustomStringConvertible {
    /// What happened. New kinds may be added in any release.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The kind's name, as `workerReplaced`.
        public let rawValue: String

        /// The kind named `rawValue`; use the static members.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// A worker is running and takes calls.
        public static let workerStarted = Kind(rawValue: "workerStarted")
        /// A worker could not be started (the monitor retries on its next tick).
        public static let workerFailedToStart = Kind(rawValue: "workerFailedToStart")
        /// A worker failed a health check: no calls go to it until it passes one (or it is
        /// replaced after too many failures).
        public static let workerUnhealthy = Kind(rawValue: "workerUnhealthy")
        /// A worker died or failed its health checks; a replacement is started in its slot.
        public static let workerReplaced = Kind(rawValue: "workerReplaced")
        /// A worker taken out of rotation (recycling, scaling down, failed health checks,
        /// ``ProcessPool/restartWorkers()``) has
        /// finished its calls and its process has stopped.
        public static let workerRetired = Kind(rawValue: "workerRetired")
        /// The pool's target size changed (``PoolEvent/size``).
        public static let scaled = Kind(rawValue: "scaled")
        /// A call was refused because the queue was full.
        public static let queueFull = Kind(rawValue: "queueFull")

        /// The kind's name.
        public var description: String { rawValue }
    }

    /// What happened.
    public var kind: Kind
    /// The worker involved, if one is.
    public var worker: ProcessID?
    /// The worker's slot, if a worker is involved.
    public var slot: Int?
    /// The pool's target size after a ``Kind/scaled`` event, or the queue's limit for ``Kind/queueFull``.
    public var size: Int?
    /// Why, in words.
    public var reason: String?
    /// When it happened.
    public var time: Date

    /// An event of `kind`; the pool makes these, a test may make one to compare with.
    public init(_ kind: Kind, worker: ProcessID? = nil, slot: Int? = nil, size: Int? = nil, reason: String? = nil, time: Date = Date()) {
        self.kind = kind
        self.worker = worker
        self.slot = slot
        self.size = size
        self.reason = reason
        self.time = time
    }

    /// The kind, worker, slot, size and reason on one line.
    public var description: String {
        var text = kind.rawValue
        if let worker { text += " \(worker)" }
        if let slot { text += " slot=\(slot)" }
        if let size { text += " size=\(size)" }
        if let reason { text += ": \(reason)" }
        return text
    }
}
