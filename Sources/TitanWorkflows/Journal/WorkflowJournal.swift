/// Where runs and their progress are kept, so that a run outlives the process running it.
///
/// The engine writes an entry before and after every stage and every compensation, and reads a
/// run's entries back to resume it. Two implementations come with the module:
/// ``SQLiteWorkflowJournal`` (a file; the default) and ``InMemoryWorkflowJournal`` (for tests and
/// for runs that need not survive the process). A backend shared by several hosts (PostgreSQL)
/// implements the same protocol.
///
/// Implementations must make each call atomic: after a crash at any point, ``entries(of:)``
/// returns each appended entry whole or not at all, and a run's status matches its entries.
/// Each method throws whatever its storage throws; the engine reports it as
/// ``WorkflowError/Code/journalFailure``.
public protocol WorkflowJournal: Sendable {
    /// Records a new run, or, if a run with the same id exists, returns that one unchanged.
    ///
    /// Returns the journaled record and whether this call created it.
    func createRun(_ record: WorkflowRunRecord) async throws -> (record: WorkflowRunRecord, created: Bool)

    /// Appends `entry` to `run` and, in the same transaction, applies `update` to the run's
    /// record. Returns the sequence number given to the entry: sequence numbers grow with every
    /// append, so they order a run's entries.
    func append(_ entry: WorkflowJournalEntry, to run: WorkflowRunID, update: WorkflowRunUpdate?) async throws -> Int

    /// The run with this id, or nil.
    func run(_ id: WorkflowRunID) async throws -> WorkflowRunRecord?

    /// The run's entries in the order they were appended.
    func entries(of run: WorkflowRunID) async throws -> [WorkflowJournalEntry]

    /// The runs of workflow `workflow` (all of them when `status` is nil), oldest first.
    func runs(workflow: String, status: WorkflowRunStatus?) async throws -> [WorkflowRunRecord]
}

extension WorkflowJournal where Self == SQLiteWorkflowJournal {
    /// A journal in the SQLite file at `path` (created if missing; its directory must exist).
    ///
    /// Throws the error SQLite reports when the file cannot be opened or is not a journal.
    public static func sqlite(path: String) throws -> SQLiteWorkflowJournal {
        try SQLiteWorkflowJournal(path: path)
    }
}

extension WorkflowJournal where Self == InMemoryWorkflowJournal {
    /// A journal that lives as long as the value: runs do not survive the process.
    public static func inMemory() -> InMemoryWorkflowJournal {
        InMemoryWorkflowJournal()
    }
}
