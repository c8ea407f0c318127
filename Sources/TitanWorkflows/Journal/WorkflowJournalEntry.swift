import Foundation

/// One step of a run's progress, as a ``WorkflowJournal`` stores it.
public struct WorkflowJournalEntry: Sendable, Hashable {
    /// What the entry records.
    public enum Kind: String, Codable, Sendable, Hashable, CaseIterable {
        /// A stage is about to run (written before its first attempt); carries its idempotency key.
        case stageStarted
        /// A stage completed; `payload` is its encoded result, `context` the context after it.
        case stageCompleted
        /// A stage's condition was false.
        case stageSkipped
        /// A stage failed after its retries; `payload` is the encoded ``WorkflowFailure``.
        case stageFailed
        /// A `map` or dynamic stage generated its items; `payload` lists them.
        case stageExpanded
        /// A compensation is about to run; carries its idempotency key.
        case compensationStarted
        /// A compensation succeeded.
        case compensationCompleted
        /// A compensation failed after its retries; `payload` is the encoded ``WorkflowFailure``.
        case compensationFailed
        /// The run was cancelled; the completed stages are to be compensated.
        case cancelRequested
        /// The run ended; the run record carries the outcome.
        case runFinished
    }

    /// Assigned by the journal when the entry is appended (0 before).
    public var sequence: Int
    /// What the entry records.
    public var kind: Kind
    /// The stage (or item of a stage) it concerns; empty for entries about the whole run.
    public var step: String
    /// The idempotency key the stage or compensation runs with.
    public var idempotencyKey: String?
    /// The entry's data (see ``Kind``).
    public var payload: Data?
    /// The context after a completed stage.
    public var context: Data?

    /// An entry; the engine makes these, journal backends rebuild them from storage.
    public init(
        sequence: Int = 0, kind: Kind, step: String, idempotencyKey: String? = nil,
        payload: Data? = nil, context: Data? = nil
    ) {
        self.sequence = sequence
        self.kind = kind
        self.step = step
        self.idempotencyKey = idempotencyKey
        self.payload = payload
        self.context = context
    }
}
