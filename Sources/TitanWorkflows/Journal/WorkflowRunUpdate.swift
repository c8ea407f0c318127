import Foundation

/// A change to a run's record, journaled together with an entry.
public struct WorkflowRunUpdate: Sendable, Hashable {
    /// The run's new status.
    public var status: WorkflowRunStatus
    /// The encoded output, when the run completes.
    public var output: Data?
    /// The failure, when the run fails.
    public var failure: WorkflowFailure?

    /// An update to `status`, with the output or failure that goes with it.
    public init(status: WorkflowRunStatus, output: Data? = nil, failure: WorkflowFailure? = nil) {
        self.status = status
        self.output = output
        self.failure = failure
    }
}
