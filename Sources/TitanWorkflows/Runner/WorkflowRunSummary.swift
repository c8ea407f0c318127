import Foundation

/// A run as the journal records it: what ``WorkflowRunner/status(of:)`` and
/// ``WorkflowRunner/runs(status:)`` return.
public struct WorkflowRunSummary: Sendable, Hashable {
    /// The run.
    public var id: WorkflowRunID
    /// The workflow's ``Workflow/name``.
    public var workflow: String
    /// The ``Workflow/version`` that started the run.
    public var version: String
    /// Where the run stands.
    public var status: WorkflowRunStatus
    /// The failure that ended the run, when it failed.
    public var failure: WorkflowFailure?
    /// When the run was started.
    public var createdAt: Date
    /// When the run last changed.
    public var updatedAt: Date
}
