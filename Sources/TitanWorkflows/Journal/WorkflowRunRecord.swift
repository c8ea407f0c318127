import Foundation

/// A run as a ``WorkflowJournal`` stores it.
public struct WorkflowRunRecord: Sendable, Hashable {
    /// The run.
    public var id: WorkflowRunID
    /// The workflow's ``Workflow/name``.
    public var workflow: String
    /// The ``Workflow/version`` that started the run.
    public var version: String
    /// The stages (names and dependencies) of the definition that started the run, so that a
    /// changed definition with an unchanged version is caught too.
    public var fingerprint: String
    /// Where the run stands.
    public var status: WorkflowRunStatus
    /// The encoded input.
    public var input: Data
    /// The encoded output, once the run has completed.
    public var output: Data?
    /// Why the run failed, once it has.
    public var failure: WorkflowFailure?
    /// When the run was created.
    public var createdAt: Date
    /// When the run's record last changed.
    public var updatedAt: Date

    /// A record; the engine makes these, journal backends rebuild them from storage.
    public init(
        id: WorkflowRunID, workflow: String, version: String, fingerprint: String,
        status: WorkflowRunStatus, input: Data, output: Data? = nil, failure: WorkflowFailure? = nil,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.workflow = workflow
        self.version = version
        self.fingerprint = fingerprint
        self.status = status
        self.input = input
        self.output = output
        self.failure = failure
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The record with `update` applied at `date`.
    public func applying(_ update: WorkflowRunUpdate, at date: Date) -> WorkflowRunRecord {
        var record = self
        record.status = update.status
        if let output = update.output { record.output = output }
        if let failure = update.failure { record.failure = failure }
        record.updatedAt = date
        return record
    }

    var summary: WorkflowRunSummary {
        WorkflowRunSummary(
            id: id, workflow: workflow, version: version, status: status, failure: failure,
            createdAt: createdAt, updatedAt: updatedAt
        )
    }
}
