import Testing
import TitanPM
import TitanPMTestKit
import TitanWorkflowTestServices
@testable import TitanWorkflows

/// The spec's A → (B ‖ C) → D → E, with a conditional stage D depends on.
struct Diamond: Workflow {
    static let name = "diamond"
    static let version = "1"
    typealias Input = Int

    let rendezvous: Rendezvous

    func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<String> {
        let a = plan.stage("A") { ctx in ctx.input * 2 }
        // B and C each wait in the service for the other: they finish only if they overlap.
        let b = plan.stage("B", after: a) { ctx in
            _ = try await rendezvous.meet("B+C", parties: 2)
            return try ctx.result(of: a) + 1
        }
        let c = plan.stage("C", after: a) { ctx in
            _ = try await rendezvous.meet("B+C", parties: 2)
            return try ctx.result(of: a) + 2
        }
        let audit = plan.stage("audit", after: a, when: { ctx in ctx.input > 1000 }) { _ in "audited" }
        let d = plan.stage("D", after: b, c, audit) { ctx in
            let auditNote = try ctx.resultIfRan(of: audit) ?? (ctx.wasSkipped(audit) ? "skipped" : "?")
            return "\(try ctx.result(of: b) + ctx.result(of: c)) audit=\(auditNote)"
        }
        return plan.stage("E", after: d) { ctx in try ctx.result(of: d) + "!" }
    }
}

@Suite(.serialized) struct DAGTests {
    @Test func diamondRunsBAndCInParallelAndDAfterBoth() async throws {
        try await withProcessManager { pm in
            let rendezvous = try await pm.spawn(Rendezvous.self)
            let runner = try await pm.workflow(Diamond(rendezvous: rendezvous), journal: .inMemory())
            let log = EventLog(runner)
            let output = try await within(.seconds(30), "the diamond") { try await runner.run(5) }
            #expect(output == "23 audit=skipped!")
            #expect(try await rendezvous.mostInside("B+C") == 2)

            try await log.await("run completed")   // events arrive asynchronously
            let trace = log.trace
            func at(_ event: String) -> Int { trace.firstIndex(of: event) ?? -1 }
            #expect(at("started B") < at("completed C") && at("started C") < at("completed B"))
            #expect(at("started D") > at("completed B") && at("started D") > at("completed C"))
            #expect(at("started D") > at("skipped audit"))
            #expect(at("started E") > at("completed D"))
            #expect(!trace.contains("started audit"))
        }
    }

    @Test func aSkippedStageHasNoResultForItsDependents() async throws {
        struct Probe: Workflow {
            static let name = "probe"
            static let version = "1"
            typealias Input = Bool
            func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<String> {
                let maybe = plan.stage("maybe", when: { ctx in ctx.input }) { _ in 42 }
                return plan.stage("after", after: maybe) { ctx in
                    do {
                        return "got \(try ctx.result(of: maybe))"
                    } catch let error as WorkflowError where error.code == .resultUnavailable {
                        return "unavailable"
                    }
                }
            }
        }
        let runner = try WorkflowRunner(Probe(), journal: .inMemory())
        #expect(try await runner.run(true) == "got 42")
        #expect(try await runner.run(false) == "unavailable")
    }

    @Test func failingStageIsRetriedWithExponentialBackoff() async throws {
        struct Retrying: Workflow {
            static let name = "retrying"
            static let version = "1"
            typealias Input = Int
            let flaky: Flaky
            func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<Int> {
                plan.stage("call", retry: .attempts(4, backoff: .exponential(initial: .milliseconds(10), factor: 2))) { ctx in
                    try await flaky.attempt(ctx.idempotencyKey, failures: ctx.input)
                }
            }
        }
        try await withProcessManager { pm in
            let flaky = try await pm.spawn(Flaky.self)
            let clock = RecordingClock()
            let runner = try await pm.workflow(Retrying(flaky: flaky), journal: .inMemory(), options: WorkflowOptions(clock: clock))
            let log = EventLog(runner)

            #expect(try await runner.run(2, id: "twice") == 3)
            #expect(try await flaky.calls("twice/call") == 3)
            #expect(clock.sleeps == [.milliseconds(10), .milliseconds(20)])
            try await log.await("run completed")
            #expect(log.trace.filter { $0 == "retrying call" }.count == 2)

            // Four failures exhaust the four attempts.
            let error = await #expect(throws: WorkflowError.self) { try await runner.run(4, id: "always") }
            #expect(error?.code == .stageFailed)
            #expect(error?.failure?.type.hasSuffix("FlakyFailure") == true)
            #expect(try await flaky.calls("always/call") == 4)
            #expect(try await runner.status(of: "always").status == .failed)
        }
    }

    @Test func stageAttemptsAreBoundedByTheTimeout() async throws {
        struct Slow: Workflow {
            static let name = "slow"
            static let version = "1"
            typealias Input = Int
            let flaky: Flaky
            func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<Int> {
                plan.stage("slow", retry: .attempts(2, backoff: .constant(.milliseconds(1))), timeout: .milliseconds(200)) { ctx in
                    try await flaky.sleep(milliseconds: ctx.input)
                }
            }
        }
        try await withProcessManager { pm in
            let runner = try await pm.workflow(Slow(flaky: try await pm.spawn(Flaky.self)), journal: .inMemory())
            let log = EventLog(runner)
            #expect(try await runner.run(1) == 1)
            let start = ContinuousClock.now
            let error = await #expect(throws: WorkflowError.self) { try await runner.run(20_000) }
            #expect(error?.code == .stageFailed)
            #expect(error?.failure?.type == "WorkflowError.stageTimedOut")
            #expect(ContinuousClock.now - start < .seconds(10))
            try await log.await("run failed")
            #expect(log.trace.filter { $0 == "retrying slow" }.count == 1)
        }
    }

    @Test func mapNeverExceedsItsConcurrencyLimit() async throws {
        struct Fan: Workflow {
            static let name = "fan"
            static let version = "1"
            typealias Input = [Int]
            let rendezvous: Rendezvous
            func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<[Int]> {
                // Each item waits in the service until three are inside: the map must keep
                // exactly three going, no more (the service records the most) and no fewer
                // (the barrier would never open).
                plan.map("square", over: { ctx in ctx.input }, concurrency: 3) { _, item in
                    _ = try await rendezvous.meet("map", parties: 3)
                    return item * item
                }
            }
        }
        try await withProcessManager { pm in
            let rendezvous = try await pm.spawn(Rendezvous.self)
            let runner = try await pm.workflow(Fan(rendezvous: rendezvous), journal: .inMemory())
            let output = try await within(.seconds(30), "the map") { try await runner.run(Array(1...9)) }
            #expect(output == (1...9).map { $0 * $0 })
            #expect(try await rendezvous.mostInside("map") == 3)
        }
    }

    @Test func malformedPlansAreRejectedWithEveryProblem() async throws {
        struct Broken: Workflow {
            static let name = "broken"
            static let version = "1"
            typealias Input = Int
            func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<Int> {
                var other = WorkflowPlan<Self>()
                let foreign = other.stage("x") { _ in 1 }
                _ = plan.stage("a") { _ in 1 }
                _ = plan.stage("a") { _ in 2 }
                _ = plan.map("m", over: { _ in [1] }, concurrency: 0) { _, n in n }
                return plan.stage("b", after: foreign) { _ in 3 }
            }
        }
        let error = #expect(throws: WorkflowError.self) { try WorkflowRunner(Broken(), journal: .inMemory()) }
        #expect(error?.code == .invalidDefinition)
        #expect(error?.message.contains("two stages are named a") == true)
        #expect(error?.message.contains("concurrency 0") == true)
        #expect(error?.message.contains("not a stage of this plan") == true)
    }
}
