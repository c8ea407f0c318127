import Foundation
import Synchronization
import Testing
import TitanPM
import TitanPMTestKit
import TitanWorkflowTestServices
@testable import TitanWorkflows

/// A two-stage workflow whose version a test can choose.
struct Versioned: Workflow {
    static let name = "versioned"
    static let version = "2"
    typealias Input = Int

    func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<Int> {
        let first = plan.stage("first") { ctx in ctx.input + 1 }
        return plan.stage("second", after: first) { ctx in try ctx.result(of: first) * 10 }
    }
}

@Suite(.serialized) struct JournalTests {
    func journals() throws -> [(String, any WorkflowJournal)] {
        [("sqlite", try SQLiteWorkflowJournal(path: try temporaryDirectory() + "/j.sqlite")), ("memory", InMemoryWorkflowJournal())]
    }

    func unfinishedRun(_ journal: any WorkflowJournal, version: String, fingerprint: String) async throws {
        let now = Date()
        _ = try await journal.createRun(WorkflowRunRecord(
            id: "old", workflow: Versioned.name, version: version, fingerprint: fingerprint,
            status: .running, input: try JournalCoding.encode(1), createdAt: now, updatedAt: now
        ))
    }

    @Test func bothJournalsRecordEveryStageBeforeAndAfter() async throws {
        for (name, journal) in try journals() {
            let runner = try WorkflowRunner(Versioned(), journal: journal)
            #expect(try await runner.run(4, id: "r") == 50, "\(name)")
            let entries = try await journal.entries(of: "r")
            #expect(entries.map { "\($0.kind) \($0.step)" } == [
                "stageStarted first", "stageCompleted first", "stageStarted second", "stageCompleted second", "runFinished ",
            ], "\(name)")
            #expect(entries.first?.idempotencyKey == "r/first")
            #expect(entries[1].payload == Data("5".utf8))
            #expect(try await journal.run("r")?.output == Data("50".utf8))
        }
    }

    @Test func anUnfinishedRunResumesFromItsJournal() async throws {
        for (name, journal) in try journals() {
            // As a crashed process would have left it: "first" completed, "second" in flight.
            let plan = try CompiledPlan(Versioned())
            try await unfinishedRun(journal, version: Versioned.version, fingerprint: plan.fingerprint)
            _ = try await journal.append(WorkflowJournalEntry(kind: .stageCompleted, step: "first", payload: Data("7".utf8), context: Data("{}".utf8)), to: "old", update: nil)
            _ = try await journal.append(WorkflowJournalEntry(kind: .stageStarted, step: "second", idempotencyKey: "old/second"), to: "old", update: nil)

            let runner = try WorkflowRunner(Versioned(), journal: journal)
            let log = EventLog(runner)
            #expect(try await runner.resumeAll() == ["old"], "\(name)")
            #expect(try await runner.result(of: "old") == 70, "\(name)")   // the journaled 7, not 1 + 1
            try await log.await("run completed")
            #expect(log.trace.contains("replayed first") && !log.trace.contains("started first"))
            #expect(try await runner.resumeAll().isEmpty)
        }
    }

    @Test func aResumedMapRunsOnlyItsUnfinishedItems() async throws {
        struct Squares: Workflow {
            static let name = "squares"
            static let version = "1"
            typealias Input = [Int]
            let ran: Tally
            func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<[Int]> {
                plan.map("square", over: { ctx in ctx.input }, concurrency: 2) { ctx, n in
                    ran.add(ctx.stage)
                    return n * n
                }
            }
        }
        let journal = InMemoryWorkflowJournal()
        let ran = Tally()
        let plan = try CompiledPlan(Squares(ran: ran))
        let now = Date()
        // The elements were journaled, item 0 completed (with a result the test can recognise),
        // item 1 was in flight.
        _ = try await journal.createRun(WorkflowRunRecord(
            id: "m", workflow: Squares.name, version: Squares.version, fingerprint: plan.fingerprint,
            status: .running, input: try JournalCoding.encode([1, 2, 3]), createdAt: now, updatedAt: now
        ))
        for entry in [
            WorkflowJournalEntry(kind: .stageExpanded, step: "square", payload: try JournalCoding.encode([1, 2, 3])),
            WorkflowJournalEntry(kind: .stageStarted, step: "square[0]", idempotencyKey: "m/square[0]"),
            WorkflowJournalEntry(kind: .stageCompleted, step: "square[0]", payload: Data("100".utf8), context: Data("{}".utf8)),
            WorkflowJournalEntry(kind: .stageStarted, step: "square[1]", idempotencyKey: "m/square[1]"),
        ] {
            _ = try await journal.append(entry, to: "m", update: nil)
        }
        let runner = try WorkflowRunner(Squares(ran: ran), journal: journal)
        #expect(try await runner.resumeAll() == ["m"])
        #expect(try await runner.result(of: "m") == [100, 4, 9])
        #expect(ran.names.sorted() == ["square[1]", "square[2]"])
    }

    @Test func resumingARunOfAnotherVersionFailsClearly() async throws {
        for (name, journal) in try journals() {
            try await unfinishedRun(journal, version: "1", fingerprint: "whatever")
            let error = await #expect(throws: WorkflowError.self) {
                try await ProcessManager().workflow(Versioned(), journal: journal)
            }
            #expect(error?.code == .incompatibleDefinition, "\(name)")
            #expect(error?.message.contains("started by versioned version 1 and cannot be resumed by version 2") == true)
            #expect(error?.runID == "old")
        }
    }

    @Test func resumingARunWhoseStagesChangedWithoutANewVersionFails() async throws {
        let journal = InMemoryWorkflowJournal()
        try await unfinishedRun(journal, version: Versioned.version, fingerprint: "first<;second<first;third<second=>third")
        let runner = try WorkflowRunner(Versioned(), journal: journal)
        let error = await #expect(throws: WorkflowError.self) { try await runner.resumeAll() }
        #expect(error?.code == .incompatibleDefinition)
        #expect(error?.message.contains("give a changed definition a new version") == true)
    }

    @Test func sqliteJournalCommitsInWALModeWithTheChosenSynchronousLevel() async throws {
        let directory = try temporaryDirectory()
        let full = try SQLiteWorkflowJournal(path: directory + "/full.sqlite")
        #expect(try await full.pragma("journal_mode") == "wal")
        #expect(try await full.pragma("synchronous") == "2")   // FULL
        let normal = try SQLiteWorkflowJournal(path: directory + "/normal.sqlite", synchronous: .normal)
        #expect(try await normal.pragma("synchronous") == "1")
    }

    @Test func sqliteJournalRejectsAFileThatIsNotADatabase() async throws {
        let path = try temporaryDirectory() + "/not-a-journal"
        StepLog.append(path, String(repeating: "not sqlite ", count: 200))
        #expect(throws: (any Error).self) { try SQLiteWorkflowJournal(path: path) }
        #expect(throws: (any Error).self) { try SQLiteWorkflowJournal(path: "/nonexistent/dir/j.sqlite") }
    }
}

/// Names recorded by plain stage code.
final class Tally: Sendable {
    private let recorded = Mutex<[String]>([])
    func add(_ name: String) { recorded.withLock { $0.append(name) } }
    var names: [String] { recorded.withLock { $0 } }
}
