import Testing
import TitanPM
import TitanPMTestKit
import TitanWorkflowTestServices
import TitanWorkflows

/// A sub-workflow: doubles its input in a service process, then adds one.
struct Doubling: Workflow {
    static let name = "doubling"
    static let version = "1"
    typealias Input = Int
    let recorder: StepRecorder

    func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<Int> {
        let double = plan.stage("double") { ctx in
            _ = try await recorder.perform("double")
            return ctx.input * 2
        }
        return plan.stage("plusOne", after: double) { ctx in try ctx.result(of: double) + 1 }
    }
}

/// The spec's dynamic stages and sub-workflow together, with a typed context.
struct Pipeline: Workflow {
    struct Notes: Codable, Sendable, Hashable {
        var requestedBy = ""
        var tasks: [Int] = []
    }

    static let name = "pipeline"
    static let version = "1"
    typealias Input = [Int]
    typealias Context = Notes
    let recorder: StepRecorder

    func initialContext(for input: [Int]) -> Notes { Notes(requestedBy: "test") }

    func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<String> {
        let analyze = plan.stage("analyze") { ctx in
            ctx.updateContext { $0.tasks = ctx.input }
            return ctx.input.filter { $0 > 0 }
        }
        let process = plan.dynamic("process", after: analyze) { ctx in
            try ctx.result(of: analyze).map { n in
                DynamicStage("task-\(n)") { ctx in
                    _ = try await recorder.perform("task-\(n)")
                    return n * n
                }
            }
        }
        let child = plan.subworkflow("child", run: Doubling(recorder: recorder), after: process) { ctx in
            try ctx.result(of: process).reduce(0, +)
        }
        return plan.stage("finalize", after: child) { ctx in
            "\(ctx.context.requestedBy) \(ctx.context.tasks) -> \(try ctx.result(of: child))"
        }
    }
}

@Suite(.serialized) struct CompositionTests {
    @Test func dynamicStagesAndASubworkflowRunInServiceProcesses() async throws {
        let directory = try temporaryDirectory()
        try await withProcessManager { pm in
            let recorder = try await pm.spawn(StepRecorder.self, configuration: StepRecorderConfiguration(log: directory + "/steps.log"))
            let journal = try SQLiteWorkflowJournal(path: directory + "/journal.sqlite")
            let runner = try await pm.workflow(Pipeline(recorder: recorder), journal: journal)
            let log = EventLog(runner)

            let output = try await within(.seconds(30), "the pipeline") { try await runner.run([1, 2, -5, 3], id: "p1") }
            #expect(output == "test [1, 2, -5, 3] -> 29")   // (1 + 4 + 9) * 2 + 1

            let calls = StepLog.lines(directory + "/steps.log").filter { $0.hasPrefix("call ") }.sorted()
            #expect(calls == [
                "call double p1/child/double",
                "call task-1 p1/process/task-1", "call task-2 p1/process/task-2", "call task-3 p1/process/task-3",
            ])
            try await log.await("completed finalize")   // events arrive asynchronously
            let trace = log.trace
            #expect(trace.contains("completed process/task-3"))
            #expect(trace.contains("completed plusOne"))
            #expect(trace.firstIndex(of: "completed plusOne")! < trace.firstIndex(of: "started finalize")!)
            #expect(try await runner.status(of: "p1").status == .completed)
            // The sub-workflow's run is journaled under its own id and workflow name.
            let child = try await journal.run("p1/child")
            #expect(child?.workflow == "doubling" && child?.status == .completed)
        }
    }

    @Test func startReturnsAtOnceAndTheSameIDStartsNothingNew() async throws {
        let directory = try temporaryDirectory()
        try await withProcessManager { pm in
            let recorder = try await pm.spawn(StepRecorder.self, configuration: StepRecorderConfiguration(log: directory + "/steps.log"))
            let runner = try await pm.workflow(Doubling(recorder: recorder), journalPath: directory + "/journal.sqlite")
            let id = try await runner.start(20, id: "order-7")
            #expect(id == "order-7")
            #expect(try await runner.result(of: id) == 41)
            // Starting order-7 again returns the journaled run; the stage does not run again.
            #expect(try await runner.start(99, id: "order-7") == "order-7")
            #expect(try await runner.result(of: "order-7") == 41)
            #expect(StepLog.lines(directory + "/steps.log").filter { $0.hasPrefix("call ") }.count == 1)
            #expect(try await runner.runs(status: .completed).map(\.id) == ["order-7"])
            #expect(try await runner.runs(status: .running).isEmpty)
            let unknown = await #expect(throws: WorkflowError.self) { try await runner.status(of: "nope") }
            #expect(unknown?.code == .unknownRun)
            let invalid = await #expect(throws: WorkflowError.self) { try await runner.start(1, id: "a/b") }
            #expect(invalid?.code == .invalidRunID)
        }
    }
}
