import Foundation
import GRDB

/// A ``WorkflowJournal`` in a SQLite file (through GRDB): the default, and what makes a run
/// survive the death of the process running it.
///
/// The file is opened in WAL mode and every append is one transaction, so a process killed in
/// the middle of a write (even by SIGKILL) leaves the journal as it was before that write: the
/// entry and the run's status change are both there or both absent. With `synchronous` FULL
/// (the default) a committed entry also survives a power cut; `.normal` trades that for speed
/// and still survives any crash of the process.
///
/// One process at a time should run a journal's workflows: two processes resuming the same run
/// would both run its stages.
public final class SQLiteWorkflowJournal: WorkflowJournal {
    /// How hard SQLite works to keep a committed entry (SQLite's `PRAGMA synchronous`).
    public enum Synchronous: String, Sendable, Hashable {
        /// Every commit reaches the disk before the engine goes on: survives power loss.
        case full = "FULL"
        /// Survives a crash of the process, not necessarily of the machine; faster.
        case normal = "NORMAL"
    }

    /// The journal file.
    public let path: String
    private let database: DatabasePool
    /// Called inside an append's transaction, after its writes and before the commit: lets a
    /// crash test kill the process with a transaction open.
    private let beforeCommit: (@Sendable (WorkflowJournalEntry) -> Void)?

    /// Opens (or creates) the journal at `path`; its directory must exist.
    ///
    /// Throws the error SQLite reports when the file cannot be opened, is not a database, or
    /// holds tables of another shape.
    public convenience init(path: String, synchronous: Synchronous = .full) throws {
        try self.init(path: path, synchronous: synchronous, beforeCommit: nil)
    }

    /// Opens the journal with a hook that runs inside every append's transaction, before its
    /// commit: a crash test blocks there and kills the process.
    package init(path: String, synchronous: Synchronous = .full, beforeCommit: (@Sendable (WorkflowJournalEntry) -> Void)?) throws {
        self.path = path
        self.beforeCommit = beforeCommit
        database = try DatabasePool(path: path)
        // Set on the writer (the connection that commits) after GRDB's WAL set-up, which
        // chooses NORMAL.
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
        }
        try Self.migrator.migrate(database)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE workflow_runs (
                    id TEXT PRIMARY KEY NOT NULL,
                    workflow TEXT NOT NULL,
                    version TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    status TEXT NOT NULL,
                    input BLOB NOT NULL,
                    output BLOB,
                    failure BLOB,
                    created_at DOUBLE NOT NULL,
                    updated_at DOUBLE NOT NULL
                );
                CREATE INDEX workflow_runs_by_status ON workflow_runs(workflow, status);
                CREATE TABLE workflow_entries (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id TEXT NOT NULL REFERENCES workflow_runs(id),
                    kind TEXT NOT NULL,
                    step TEXT NOT NULL,
                    idempotency_key TEXT,
                    payload BLOB,
                    context BLOB
                );
                CREATE INDEX workflow_entries_by_run ON workflow_entries(run_id, sequence);
                """)
        }
        return migrator
    }

    /// Records a new run, or returns the run with the same id unchanged (see ``WorkflowJournal/createRun(_:)``).
    public func createRun(_ record: WorkflowRunRecord) async throws -> (record: WorkflowRunRecord, created: Bool) {
        try await database.write { db in
            if let existing = try Self.fetchRun(record.id, in: db) { return (existing, false) }
            try db.execute(
                sql: """
                    INSERT INTO workflow_runs (id, workflow, version, fingerprint, status, input, output, failure, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id.rawValue, record.workflow, record.version, record.fingerprint, record.status.rawValue,
                    record.input, record.output, try JournalCoding.encode(record.failure),
                    record.createdAt.timeIntervalSince1970, record.updatedAt.timeIntervalSince1970,
                ]
            )
            return (record, true)
        }
    }

    /// Appends the entry and applies the update in one step (see ``WorkflowJournal/append(_:to:update:)``).
    public func append(_ entry: WorkflowJournalEntry, to run: WorkflowRunID, update: WorkflowRunUpdate?) async throws -> Int {
        let hook = beforeCommit
        return try await database.write { db in
            try db.cachedStatement(
                sql: "INSERT INTO workflow_entries (run_id, kind, step, idempotency_key, payload, context) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [run.rawValue, entry.kind.rawValue, entry.step, entry.idempotencyKey, entry.payload, entry.context])
            let sequence = Int(db.lastInsertedRowID)
            var changed = 1
            if let update {
                try db.cachedStatement(
                    sql: """
                        UPDATE workflow_runs SET status = ?, output = COALESCE(?, output),
                            failure = COALESCE(?, failure), updated_at = ? WHERE id = ?
                        """
                ).execute(
                    arguments: [
                        update.status.rawValue, update.output, try JournalCoding.encode(update.failure),
                        Date().timeIntervalSince1970, run.rawValue,
                    ]
                )
                changed = db.changesCount
            }
            guard changed == 1 else {
                throw WorkflowError(.unknownRun, "the journal has no run \(run) to update", runID: run)
            }
            hook?(entry)
            return sequence
        }
    }

    /// The run with this id, or nil.
    public func run(_ id: WorkflowRunID) async throws -> WorkflowRunRecord? {
        try await database.read { db in try Self.fetchRun(id, in: db) }
    }

    /// The run's entries in the order they were appended.
    public func entries(of run: WorkflowRunID) async throws -> [WorkflowJournalEntry] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM workflow_entries WHERE run_id = ? ORDER BY sequence",
                arguments: [run.rawValue]
            ).map { row in
                let kindName: String = row["kind"]
                guard let kind = WorkflowJournalEntry.Kind(rawValue: kindName) else {
                    throw WorkflowError(.journalFailure, "journal entry of unknown kind \(kindName): written by a newer version?", runID: run)
                }
                return WorkflowJournalEntry(
                    sequence: row["sequence"], kind: kind, step: row["step"],
                    idempotencyKey: row["idempotency_key"], payload: row["payload"], context: row["context"]
                )
            }
        }
    }

    /// The runs of `workflow` with `status` (all when nil), oldest first.
    public func runs(workflow: String, status: WorkflowRunStatus?) async throws -> [WorkflowRunRecord] {
        try await database.read { db in
            let rows = if let status {
                try Row.fetchAll(
                    db, sql: "SELECT * FROM workflow_runs WHERE workflow = ? AND status = ? ORDER BY created_at, rowid",
                    arguments: [workflow, status.rawValue]
                )
            } else {
                try Row.fetchAll(
                    db, sql: "SELECT * FROM workflow_runs WHERE workflow = ? ORDER BY created_at, rowid",
                    arguments: [workflow]
                )
            }
            return try rows.map(Self.record)
        }
    }

    /// SQLite's own check of the file (`PRAGMA integrity_check`): "ok", or what is wrong.
    public func integrityCheck() async throws -> String {
        try await database.read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
        }
    }

    /// The writer connection's value of `PRAGMA name` (for tests of the set-up).
    func pragma(_ name: String) async throws -> String? {
        try await database.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    private static func fetchRun(_ id: WorkflowRunID, in db: Database) throws -> WorkflowRunRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM workflow_runs WHERE id = ?", arguments: [id.rawValue]).map(record)
    }

    private static func record(_ row: Row) throws -> WorkflowRunRecord {
        let statusName: String = row["status"]
        guard let status = WorkflowRunStatus(rawValue: statusName) else {
            throw WorkflowError(.journalFailure, "journaled run has unknown status \(statusName): written by a newer version?")
        }
        let failure: Data? = row["failure"]
        return WorkflowRunRecord(
            id: WorkflowRunID(row["id"] as String), workflow: row["workflow"], version: row["version"],
            fingerprint: row["fingerprint"], status: status, input: row["input"], output: row["output"],
            failure: try failure.map { try JournalCoding.decode(WorkflowFailure.self, from: $0) },
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"])
        )
    }
}
