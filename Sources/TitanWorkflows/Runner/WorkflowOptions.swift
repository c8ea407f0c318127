import TitanPM

/// How a ``WorkflowRunner`` runs its workflow.
public struct WorkflowOptions: Sendable {
    /// Attempts and backoff of every compensation. A compensation that still fails is reported
    /// in ``WorkflowError/compensations`` and the run ends ``WorkflowRunStatus/compensationFailed``.
    public var compensationRetry: RetryPolicy
    /// Whether ``TitanPM/ProcessManager/workflow(_:journal:options:)`` resumes the journal's unfinished
    /// runs of the workflow before returning (see ``WorkflowRunner/resumeAll()``).
    public var resumeUnfinishedRuns: Bool
    let clock: WorkflowClock

    /// Options with the given compensation policy and resumption, waiting on `clock` for
    /// backoff and timeouts (a test can pass a clock that does not really wait).
    public init<C: Clock>(
        compensationRetry: RetryPolicy = .attempts(5, backoff: .exponential(initial: .milliseconds(100), factor: 2, cap: .seconds(10))),
        resumeUnfinishedRuns: Bool = true,
        clock: C
    ) where C.Duration == Duration {
        self.compensationRetry = compensationRetry
        self.resumeUnfinishedRuns = resumeUnfinishedRuns
        self.clock = WorkflowClock(clock)
    }

    /// Options with the given compensation policy and resumption, on the continuous clock.
    public init(
        compensationRetry: RetryPolicy = .attempts(5, backoff: .exponential(initial: .milliseconds(100), factor: 2, cap: .seconds(10))),
        resumeUnfinishedRuns: Bool = true
    ) {
        self.init(compensationRetry: compensationRetry, resumeUnfinishedRuns: resumeUnfinishedRuns, clock: ContinuousClock())
    }
}
