import Foundation

/// What a run's journal entries say about it, read when the run starts or resumes.
struct JournalReplay: Sendable {
    /// Results of completed steps (stages, items, and whole `map`/dynamic stages).
    var results: [String: Data] = [:]
    var skipped: Set<String> = []
    /// Journaled expansions of `map` and dynamic stages.
    var expansions: [String: Data] = [:]
    /// The context journaled with the last completed step.
    var lastContext: Data?
    var failedStage: String?
    var failure: WorkflowFailure?
    var cancelRequested = false
    /// Compensations that ended, in the order they ended (attempts are not journaled: 0).
    var compensations: [CompensationOutcome] = []

    init(_ entries: [WorkflowJournalEntry]) throws {
        for entry in entries.sorted(by: { $0.sequence < $1.sequence }) {
            switch entry.kind {
            case .stageCompleted:
                results[entry.step] = entry.payload ?? Data()
                if let context = entry.context { lastContext = context }
            case .stageSkipped:
                skipped.insert(entry.step)
            case .stageExpanded:
                expansions[entry.step] = entry.payload
            case .stageFailed:
                failedStage = entry.step
                failure = try entry.payload.map { try JournalCoding.decode(WorkflowFailure.self, from: $0) }
            case .cancelRequested:
                cancelRequested = true
            case .compensationCompleted:
                compensations.append(CompensationOutcome(stage: entry.step, result: .compensated, attempts: 0))
            case .compensationFailed:
                let failure = try entry.payload.map { try JournalCoding.decode(WorkflowFailure.self, from: $0) }
                compensations.append(CompensationOutcome(stage: entry.step, result: .failed(failure ?? WorkflowFailure(type: "unknown", message: "not journaled")), attempts: 0))
            case .stageStarted, .compensationStarted, .runFinished:
                break
            }
        }
    }

    /// Whether the run had stopped going forward: a stage failed or the run was cancelled.
    var stoppedForward: Bool { failedStage != nil || cancelRequested }
}
