import Foundation

/// Identifies one run of a workflow, in the journal and across restarts of the program.
///
/// ``WorkflowRunner/start(_:id:)`` makes a random one unless given one; a sub-workflow's run is
/// named after its parent's (`parent/stage`), so a resumed parent finds it again.
public struct WorkflowRunID: Codable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The id as journaled.
    public let rawValue: String

    /// A run id with this text (for example an order number, to start one run per order).
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// A run id from a string literal.
    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// A new random id.
    public static func random() -> WorkflowRunID {
        WorkflowRunID(UUID().uuidString.lowercased())
    }

    /// The id of the run of sub-workflow stage `stage` within this run.
    func child(_ stage: String) -> WorkflowRunID {
        WorkflowRunID("\(rawValue)/\(stage)")
    }

    /// A short description for logs.
    public var description: String { rawValue }
}
