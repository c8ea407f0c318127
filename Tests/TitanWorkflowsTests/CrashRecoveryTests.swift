import Glibc
import Testing
import TitanPM
import TitanPMTestKit
import TitanWorkflowTestServices
@testable import TitanWorkflows

/// The durable part: `titan-workflow-host` runs a five-stage workflow with a SQLite journal;
/// the test SIGKILLs it at a point it reports on stdout, starts it again, and checks what the
/// step recorder (a service in a child of the host) wrote to its log.
@Suite(.serialized) struct CrashRecoveryTests {
    let host = builtProduct("titan-workflow-host")

    struct Files {
        let journal: String
        let log: String
        init() throws {
            let directory = try temporaryDirectory()
            journal = directory + "/journal.sqlite"
            log = directory + "/steps.log"
        }
        var lines: [String] { StepLog.lines(log) }
        func count(_ line: String) -> Int { lines.filter { $0 == line }.count }
    }

    /// Starts the host with `flags`, waits for `line`, kills it with SIGKILL.
    func killHost(_ files: Files, _ flags: [String], at line: String) async throws {
        let first = try HostProgram(host, [files.journal, files.log] + flags)
        try await first.line(line) { $0 == line }
        first.kill()
        let status = try await first.waitForExit()
        #expect(status & 0x7f == SIGKILL)
    }

    /// Starts the host again without flags and returns its final line.
    func resumeHost(_ files: Files) async throws -> (String, [String]) {
        let second = try HostProgram(host, [files.journal, files.log])
        let last = try await second.line("the run's end") { $0.hasPrefix("OUTPUT") || $0.hasPrefix("FAILED") }
        try await second.waitForExit()
        return (last, second.lines)
    }

    @Test func killedDuringStage3TheRunResumesWithoutRepeatingStages1And2() async throws {
        let files = try Files()
        try await killHost(files, ["--hang-stage", "s3"], at: "IN-FLIGHT s3")
        #expect(files.count("call s3 run-1/s3") == 1)

        let (last, lines) = try await resumeHost(files)
        #expect(last == "OUTPUT s1-done,s2-done,s3-done,s4-done,s5-done")
        #expect(lines.contains("resumed [\"run-1\"]"))
        #expect(lines.contains("event stageReplayed(\"s1\")") && lines.contains("event stageReplayed(\"s2\")"))

        // Stages 1 and 2 ran once; stage 3 ran again with the same key and took effect once.
        #expect(files.count("call s1 run-1/s1") == 1)
        #expect(files.count("call s2 run-1/s2") == 1)
        #expect(files.count("call s3 run-1/s3") == 2)
        #expect(files.count("effect s3 run-1/s3") == 1)
        #expect(files.count("call s4 run-1/s4") == 1 && files.count("call s5 run-1/s5") == 1)
        #expect(files.lines.filter { $0.hasPrefix("call ") }.count == 6)
    }

    @Test func killedDuringACompensationTheRemainingCompensationsRunOnce() async throws {
        let files = try Files()
        try await killHost(files, ["--fail-stage", "s5", "--hang-compensation", "s3"], at: "IN-FLIGHT compensate s3")
        #expect(files.count("call-undo s4 run-1/s4#compensate") == 1)

        let (last, lines) = try await resumeHost(files)
        #expect(last.hasPrefix("FAILED stageFailed"))
        #expect(lines.contains("resumed [\"run-1\"]"))
        #expect(!lines.contains { $0.contains("stageStarted") })   // no stage runs again

        let undos = files.lines.filter { $0.hasPrefix("call-undo ") }
        #expect(undos == [
            "call-undo s4 run-1/s4#compensate",
            "call-undo s3 run-1/s3#compensate",    // in flight at the kill
            "call-undo s3 run-1/s3#compensate",    // run again with the same key
            "call-undo s2 run-1/s2#compensate",
            "call-undo s1 run-1/s1#compensate",
        ])
        #expect(files.count("undo-effect s3 run-1/s3#compensate") == 1)
        #expect(files.lines.filter { $0.hasPrefix("call s") }.count == 4)   // s1...s4, once each
    }

    @Test func aJournalWriteTornByTheKillLeavesAConsistentJournal() async throws {
        let files = try Files()
        // The host holds the transaction that journals s3's completion open, and is killed.
        try await killHost(files, ["--torn-at", "s3"], at: "TORN s3")

        let journal = try SQLiteWorkflowJournal(path: files.journal)
        #expect(try await journal.integrityCheck() == "ok")
        let run = try #require(try await journal.run("run-1"))
        #expect(run.status == .running)
        let entries = try await journal.entries(of: "run-1")
        let completed = entries.filter { $0.kind == .stageCompleted }.map(\.step)
        #expect(completed == ["s1", "s2"])                       // s3's completion is not half there
        #expect(entries.last?.kind == .stageStarted && entries.last?.step == "s3")
        #expect(entries.map(\.sequence) == entries.map(\.sequence).sorted())

        let (last, _) = try await resumeHost(files)
        #expect(last == "OUTPUT s1-done,s2-done,s3-done,s4-done,s5-done")
        #expect(files.count("call s3 run-1/s3") == 2 && files.count("effect s3 run-1/s3") == 1)
        #expect(files.count("call s2 run-1/s2") == 1)
        #expect(try await journal.run("run-1")?.status == .completed)
    }
}
