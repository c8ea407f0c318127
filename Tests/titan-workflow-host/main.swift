import Glibc
import TitanPM
import TitanWorkflowTestServices
import TitanWorkflows

// Hosts the step recorder when the ProcessManager below re-executes this program.
ProcessManager.bootstrap()

// titan-workflow-host JOURNAL LOG [--hang-stage S] [--fail-stage S] [--hang-compensation S] [--torn-at S]
//
// Runs (or resumes) run "run-1" of FiveStages with a SQLite journal at JOURNAL, the step
// recorder writing to LOG. Prints each workflow event as a line, "IN-FLIGHT ..." where it hangs
// to be killed, "TORN s" when it holds a journal transaction open (before the commit of s's
// completion) to be killed, and finally "OUTPUT ..." or "FAILED ...".
var arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else {
    say("usage: titan-workflow-host JOURNAL LOG [--hang-stage S] [--fail-stage S] [--hang-compensation S] [--torn-at S]")
    exit(64)
}
let journalPath = arguments.removeFirst()
let logPath = arguments.removeFirst()
var flags: [String: String] = [:]
while arguments.count >= 2 {
    flags[arguments.removeFirst()] = arguments.removeFirst()
}

let tornAt = flags["--torn-at"]
let journal = try SQLiteWorkflowJournal(path: journalPath, beforeCommit: { entry in
    guard entry.kind == .stageCompleted, entry.step == tornAt else { return }
    say("TORN \(entry.step)")
    while true { sleep(3600) }
})

let pm = ProcessManager()
let recorder = try await pm.spawn(StepRecorder.self, configuration: StepRecorderConfiguration(log: logPath))
let workflow = FiveStages(
    recorder: recorder, hangStage: flags["--hang-stage"], failStage: flags["--fail-stage"],
    hangCompensation: flags["--hang-compensation"]
)
let runner = try await pm.workflow(workflow, journal: journal, options: WorkflowOptions(resumeUnfinishedRuns: false))
let events = runner.events
// Prints every event until the run's end, so the output is complete before the last line.
let printer = Task {
    for await event in events {
        say("event \(event.kind)")
        guard event.runID == "run-1" else { continue }
        switch event.kind {
        case .runCompleted, .runFailed, .runCancelled: return
        default: continue
        }
    }
}
let resumed = try await runner.resumeAll()
say("resumed \(resumed.map(\.rawValue))")
do {
    let id = try await runner.start("order-1", id: "run-1")
    let output = try await runner.result(of: id)
    await printer.value
    say("OUTPUT \(output.joined(separator: ","))")
} catch let error as WorkflowError {
    await printer.value
    say("FAILED \(error.code) \(error.compensations.map(\.description).joined(separator: "; "))")
}
await pm.shutdown()
exit(0)
