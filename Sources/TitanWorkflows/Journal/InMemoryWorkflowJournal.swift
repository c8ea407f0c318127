import Foundation
import Synchronization

/// A ``WorkflowJournal`` in memory: runs last as long as this value, not beyond the process.
///
/// For tests and for workflows that need ordering, retries and compensation but not durability;
/// it also sets the floor the SQLite journal's cost is measured against.
public final class InMemoryWorkflowJournal: WorkflowJournal {
    private struct State {
        var runs: [WorkflowRunID: WorkflowRunRecord] = [:]
        var order: [WorkflowRunID] = []
        var entries: [WorkflowRunID: [WorkflowJournalEntry]] = [:]
        var sequence = 0
    }

    private let state = Mutex(State())

    /// An empty journal.
    public init() {}

    /// Records a new run, or returns the run with the same id unchanged (see ``WorkflowJournal/createRun(_:)``).
    public func createRun(_ record: WorkflowRunRecord) async throws -> (record: WorkflowRunRecord, created: Bool) {
        state.withLock { state in
            if let existing = state.runs[record.id] { return (existing, false) }
            state.runs[record.id] = record
            state.order.append(record.id)
            return (record, true)
        }
    }

    /// Appends the entry and applies the update in one step (see ``WorkflowJournal/append(_:to:update:)``).
    public func append(_ entry: WorkflowJournalEntry, to run: WorkflowRunID, update: WorkflowRunUpdate?) async throws -> Int {
        try state.withLock { state in
            guard let record = state.runs[run] else {
                throw WorkflowError(.unknownRun, "the journal has no run \(run) to append to", runID: run)
            }
            state.sequence += 1
            var entry = entry
            entry.sequence = state.sequence
            state.entries[run, default: []].append(entry)
            if let update { state.runs[run] = record.applying(update, at: Date()) }
            return state.sequence
        }
    }

    /// The run with this id, or nil.
    public func run(_ id: WorkflowRunID) async throws -> WorkflowRunRecord? {
        state.withLock { $0.runs[id] }
    }

    /// The run's entries in the order they were appended.
    public func entries(of run: WorkflowRunID) async throws -> [WorkflowJournalEntry] {
        state.withLock { $0.entries[run] ?? [] }
    }

    /// The runs of `workflow` with `status` (all when nil), oldest first.
    public func runs(workflow: String, status: WorkflowRunStatus?) async throws -> [WorkflowRunRecord] {
        state.withLock { state in
            state.order.compactMap { state.runs[$0] }.filter { record in
                record.workflow == workflow && (status == nil || record.status == status)
            }
        }
    }
}
