import Glibc
import TitanPM
import TitanWorkflows

/// Ten stages in a row, each making one call to a ``BenchService`` child (or none): the
/// workload of the `--workflows` figures.
struct ChainWorkflow: Workflow {
    static let name = "bench-chain"
    static let version = "1"
    typealias Input = Int

    let service: BenchService?
    static let stages = 10

    func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<Int> {
        var last = plan.stage("s0") { ctx in ctx.input }
        for n in 1..<Self.stages {
            let previous = last
            last = plan.stage("s\(n)", after: previous) { ctx in
                let value = try ctx.result(of: previous)
                return try await service?.add(value, 1) ?? value + 1
            }
        }
        return last
    }
}

/// `titan-bench --workflows`: what journaling costs per stage, and stages per second with the
/// SQLite journal (durable) beside the in-memory one, for stages that do nothing and for
/// stages that make one RPC. The SQLite file lives in a temporary directory on the disk that
/// holds /tmp.
func workflowFigures(report: Report, quick: Bool) async throws {
    let runs = quick ? 20 : 200
    let pm = ProcessManager()
    let service = try await pm.spawn(BenchService.self, options: SpawnOptions(callTimeout: nil))
    var template = Array("/tmp/titan-bench-wf-XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { fatalError("mkdtemp failed") }
    let directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    defer { _ = system("rm -rf '\(directory)'") }

    /// Microseconds per stage over `runs` runs of the chain.
    func perStage(_ journal: any WorkflowJournal, rpc: Bool) async throws -> Double {
        let runner = try WorkflowRunner(ChainWorkflow(service: rpc ? service : nil), journal: journal)
        for warm in 0..<3 { _ = try await runner.run(warm) }
        let start = nowNanos()
        for run in 0..<runs { _ = try await runner.run(run) }
        return Double(nowNanos() - start) / 1000 / Double(runs * ChainWorkflow.stages)
    }

    // The floor: the same calls made one after another without a workflow.
    let plainRPC = try await measureLatency(warmup: 1_000, iterations: runs * ChainWorkflow.stages) { _ = try await service.add(1, 1) }.median

    for rpc in [false, true] {
        let kind = rpc ? "rpc_stage" : "empty_stage"
        let memory = try await perStage(InMemoryWorkflowJournal(), rpc: rpc)
        let normal = try await perStage(try SQLiteWorkflowJournal(path: "\(directory)/\(kind)-normal.sqlite", synchronous: .normal), rpc: rpc)
        let full = try await perStage(try SQLiteWorkflowJournal(path: "\(directory)/\(kind)-full.sqlite", synchronous: .full), rpc: rpc)
        report.add("wf_\(kind)_memory_us", memory, "us")
        report.add("wf_\(kind)_sqlite_normal_us", normal, "us")
        report.add("wf_\(kind)_sqlite_full_us", full, "us")
        report.add("wf_\(kind)_memory_per_s", 1e6 / memory, "stages/s")
        report.add("wf_\(kind)_sqlite_full_per_s", 1e6 / full, "stages/s")
        // What the durable journal adds to each stage (two transactions: started, completed).
        report.add("wf_\(kind)_journal_full_cost_us", full - memory, "us")
        report.add("wf_\(kind)_sqlite_full_vs_memory", full / memory, "ratio")
        report.add("wf_\(kind)_sqlite_normal_vs_memory", normal / memory, "ratio")
        if rpc {
            report.add("wf_rpc_stage_plain_call_us", plainRPC, "us")
            // A durable stage around one call, in units of the call itself.
            report.add("wf_rpc_stage_sqlite_full_vs_plain_call", full / plainRPC, "ratio")
            report.add("wf_rpc_stage_memory_vs_plain_call", memory / plainRPC, "ratio")
        }
    }
    await pm.shutdown()
}
