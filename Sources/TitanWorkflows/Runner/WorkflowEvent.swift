/// Something that happened in a run: what ``WorkflowRunner/events`` yields.
///
/// ```swift
/// for await event in orders.events {
///     if case .compensationStarted(let stage) = event.kind { print("compensating \(stage)") }
/// }
/// ```
public struct WorkflowEvent: Sendable, Hashable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// A new run began.
        case runStarted
        /// An unfinished run was picked up from the journal.
        case runResumed(WorkflowRunStatus)
        /// An attempt of a stage began (attempts count from 1).
        case stageStarted(String, attempt: Int)
        /// A stage completed; its result is journaled.
        case stageCompleted(String)
        /// A stage completed before a crash; its journaled result is used instead of running it.
        case stageReplayed(String)
        /// An attempt failed; the stage is attempted again after `delay`.
        case stageRetrying(String, attempt: Int, delay: Duration, failure: WorkflowFailure)
        /// A stage failed after its retries; the run compensates.
        case stageFailed(String, WorkflowFailure)
        /// A stage's condition was false; it did not run.
        case stageSkipped(String)
        /// An attempt of a compensation began.
        case compensationStarted(String, attempt: Int)
        /// A compensation succeeded.
        case compensationCompleted(String)
        /// An attempt of a compensation failed; `willRetry` says whether another follows.
        case compensationFailed(String, attempt: Int, failure: WorkflowFailure, willRetry: Bool)
        /// The run completed.
        case runCompleted
        /// The run failed (and was compensated; see ``WorkflowRunStatus``).
        case runFailed(WorkflowFailure)
        /// The run was cancelled (and compensated).
        case runCancelled
    }

    /// The run it happened in (a sub-workflow's events carry its own run id).
    public var runID: WorkflowRunID
    /// The workflow's name.
    public var workflow: String
    /// What happened.
    public var kind: Kind

    /// An event; the engine makes these.
    public init(runID: WorkflowRunID, workflow: String, kind: Kind) {
        self.runID = runID
        self.workflow = workflow
        self.kind = kind
    }

    /// A short description for logs.
    public var description: String { "\(workflow) \(runID): \(kind)" }
}
