/// Where a run stands, as journaled.
public enum WorkflowRunStatus: String, Codable, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Stages are running (or were, when the program died: ``WorkflowRunner/resumeAll()``
    /// continues it).
    case running
    /// A stage failed or the run was cancelled; the completed stages are being compensated
    /// (or were, when the program died: resuming finishes the compensations).
    case compensating
    /// Every stage ran or was skipped; the output is journaled.
    case completed
    /// A stage failed and every compensation succeeded.
    case failed
    /// The run was cancelled and every compensation succeeded.
    case cancelled
    /// A stage failed or the run was cancelled, and at least one compensation failed after
    /// its retries: some effects may remain and need a person's attention.
    case compensationFailed

    /// Whether the run still has work to do (and is resumed by ``WorkflowRunner/resumeAll()``).
    public var isUnfinished: Bool {
        self == .running || self == .compensating
    }

    /// A short description for logs.
    public var description: String { rawValue }
}
