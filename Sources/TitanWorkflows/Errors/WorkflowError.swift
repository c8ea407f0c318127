/// Errors of the workflow engine, and the error a failed or cancelled run ends with.
///
/// Switch over ``code`` (a struct, so new codes never break a `switch` with a `default`):
///
/// ```swift
/// do {
///     try await orders.run(order)
/// } catch let error as WorkflowError where error.code == .stageFailed {
///     print(error.failure?.message, error.compensations)   // what failed, what was undone
/// }
/// ```
public struct WorkflowError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case stageFailed, cancelled, suspended, stageTimedOut, incompatibleDefinition, invalidDefinition
            case unknownRun, invalidRunID, resultUnavailable, journalFailure, encodingFailed, nondeterministicPlan
        }

        private let value: Value

        private init(_ value: Value) { self.value = value }

        /// A stage failed after its retries; the completed stages were compensated (see
        /// ``WorkflowError/compensations``).
        public static let stageFailed = Code(.stageFailed)
        /// The run was cancelled; the completed stages were compensated.
        public static let cancelled = Code(.cancelled)
        /// The runner was suspended (``WorkflowRunner/suspend()``) before the run ended; the run
        /// stays unfinished in the journal and resumes with the next ``WorkflowRunner/resumeAll()``.
        public static let suspended = Code(.suspended)
        /// An attempt of a stage ran past its timeout.
        public static let stageTimedOut = Code(.stageTimedOut)
        /// A journaled run was started by a different version (or different stages) of the
        /// workflow than the one asked to resume it.
        public static let incompatibleDefinition = Code(.incompatibleDefinition)
        /// The plan is malformed: a duplicate stage name, a stage handle of another plan, a
        /// concurrency below 1.
        public static let invalidDefinition = Code(.invalidDefinition)
        /// The journal has no run with this id (for this workflow).
        public static let unknownRun = Code(.unknownRun)
        /// A run id that cannot be used: empty, or containing `/` (reserved for sub-workflow runs).
        public static let invalidRunID = Code(.invalidRunID)
        /// A stage asked for a result it cannot have: the stage is not among its dependencies,
        /// or it was skipped.
        public static let resultUnavailable = Code(.resultUnavailable)
        /// The journal could not be read or written.
        public static let journalFailure = Code(.journalFailure)
        /// A value could not be encoded for, or decoded from, the journal.
        public static let encodingFailed = Code(.encodingFailed)
        /// Dynamic stages generated on resume differ from the ones journaled before the crash.
        public static let nondeterministicPlan = Code(.nondeterministicPlan)

        /// A short description for logs.
        public var description: String { value.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence saying what happened and what to do about it.
    public var message: String
    /// The run concerned, if any.
    public var runID: WorkflowRunID?
    /// The stage concerned, if any.
    public var stage: String?
    /// For ``Code/stageFailed``: the failure that ended the run, as journaled (available also
    /// for a run that was resumed after a crash).
    public var failure: WorkflowFailure?
    /// The error the failing stage threw, when the run failed in this process.
    public var underlying: (any Error)?
    /// For ``Code/stageFailed`` and ``Code/cancelled``: the outcome of every compensation, in
    /// the order they ran (the reverse of the order the stages completed). Outcomes read back
    /// from the journal (a run that ended in an earlier process) report 0 attempts.
    public var compensations: [CompensationOutcome]

    /// Creates an error; the engine makes these, tests and journal backends may too.
    public init(
        _ code: Code,
        _ message: String,
        runID: WorkflowRunID? = nil,
        stage: String? = nil,
        failure: WorkflowFailure? = nil,
        underlying: (any Error)? = nil,
        compensations: [CompensationOutcome] = []
    ) {
        self.code = code
        self.message = message
        self.runID = runID
        self.stage = stage
        self.failure = failure
        self.underlying = underlying
        self.compensations = compensations
    }

    /// Whether every compensation that ran succeeded.
    public var compensationsSucceeded: Bool {
        compensations.allSatisfy(\.succeeded)
    }

    /// A short description for logs.
    public var description: String {
        var text = "workflow error (\(code))"
        if let runID { text += " in run \(runID)" }
        if let stage { text += " at stage \(stage)" }
        text += ": \(message)"
        if !compensations.isEmpty {
            text += "; compensations: " + compensations.map(\.description).joined(separator: ", ")
        }
        return text
    }
}
