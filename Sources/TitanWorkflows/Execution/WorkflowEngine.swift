import Foundation
import TitanPM

/// What every run of a ``WorkflowRunner`` (and of its sub-workflows) shares: the journal, the
/// event fan-out, the clock and the compensation policy.
struct WorkflowEngine: Sendable {
    let journal: any WorkflowJournal
    let events: Broadcast<WorkflowEvent>
    let clock: WorkflowClock
    let compensationRetry: RetryPolicy
    /// Set when the runner is suspended: runs stop where they stand instead of compensating.
    let suspension: CancellationSignal

    /// Thrown by a run that stopped because the runner was suspended (nothing journaled).
    func suspended(_ run: WorkflowRunID) -> WorkflowError {
        WorkflowError(.suspended, "the runner was suspended; run \(run) stays unfinished in the journal and resumes with the next resumeAll()", runID: run)
    }

    func emit(_ runID: WorkflowRunID, _ workflow: String, _ kind: WorkflowEvent.Kind) {
        events.emit(WorkflowEvent(runID: runID, workflow: workflow, kind: kind))
    }

    /// Appends to the journal in a task of its own, so that a cancelled stage still records
    /// what it did (a completed stage whose completion were lost would not be compensated).
    @discardableResult
    func append(
        _ kind: WorkflowJournalEntry.Kind,
        step: String = "",
        to run: WorkflowRunID,
        key: String? = nil,
        payload: Data? = nil,
        context: Data? = nil,
        update: WorkflowRunUpdate? = nil
    ) async throws -> Int {
        let entry = WorkflowJournalEntry(kind: kind, step: step, idempotencyKey: key, payload: payload, context: context)
        let journal = self.journal
        return try await Task {
            do {
                return try await journal.append(entry, to: run, update: update)
            } catch let error as WorkflowError {
                throw error
            } catch {
                throw WorkflowError(.journalFailure, "cannot journal \(kind) of \(step.isEmpty ? "the run" : step): \(error)", runID: run, stage: step, underlying: error)
            }
        }.value
    }

    func entries(of run: WorkflowRunID) async throws -> [WorkflowJournalEntry] {
        do {
            return try await journal.entries(of: run)
        } catch {
            throw WorkflowError(.journalFailure, "cannot read the journal of run \(run): \(error)", runID: run, underlying: error)
        }
    }

    /// Journals a new run of `plan` (or finds the one with this id) and checks that it belongs
    /// to this definition.
    func createRun<W: Workflow>(_ plan: CompiledPlan<W>, input: W.Input, id: WorkflowRunID) async throws -> (record: WorkflowRunRecord, created: Bool) {
        let now = Date()
        let record = WorkflowRunRecord(
            id: id, workflow: W.name, version: W.version, fingerprint: plan.fingerprint, status: .running,
            input: try JournalCoding.encode(input), createdAt: now, updatedAt: now
        )
        let result: (record: WorkflowRunRecord, created: Bool)
        do {
            result = try await journal.createRun(record)
        } catch {
            throw WorkflowError(.journalFailure, "cannot journal run \(id): \(error)", runID: id, underlying: error)
        }
        if !result.created { try plan.checkCompatible(result.record) }
        return result
    }

    /// Runs a sub-workflow to its end as run `id`, resuming it if the journal has it already.
    func runSubworkflow<Child: Workflow>(_ plan: CompiledPlan<Child>, input: Child.Input, id: WorkflowRunID) async throws -> Child.Output {
        let (record, _) = try await createRun(plan, input: input, id: id)
        switch record.status {
        case .completed:
            guard let output = record.output else {
                throw WorkflowError(.journalFailure, "sub-workflow run \(id) completed without a journaled output", runID: id)
            }
            return try JournalCoding.decode(Child.Output.self, from: output)
        case .failed, .cancelled, .compensationFailed:
            throw WorkflowError(.stageFailed, "sub-workflow \(Child.name) ended \(record.status)", runID: id, failure: record.failure)
        case .running, .compensating:
            return try await RunDriver(plan: plan, engine: self, record: record, cancellation: CancellationSignal()).run()
        }
    }
}
