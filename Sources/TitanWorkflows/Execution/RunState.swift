import Foundation
import Synchronization

/// What one run knows while it runs: the journaled results of the stages that completed, the
/// stages that were skipped, and the shared context. Stages of a run read and write it
/// concurrently.
final class RunState<W: Workflow>: Sendable {
    struct Values {
        var results: [String: Data] = [:]
        var skipped: Set<String> = []
        var context: W.Context
    }

    let runID: WorkflowRunID
    let input: W.Input
    private let values: Mutex<Values>

    init(runID: WorkflowRunID, input: W.Input, context: W.Context) {
        self.runID = runID
        self.input = input
        values = Mutex(Values(context: context))
    }

    var context: W.Context { values.withLock { $0.context } }

    func updateContext(_ body: (inout W.Context) -> Void) {
        values.withLock { body(&$0.context) }
    }

    func replaceContext(_ context: W.Context) {
        values.withLock { $0.context = context }
    }

    func completed(_ step: String, result: Data) {
        values.withLock { $0.results[step] = result }
    }

    func skipped(_ step: String) {
        _ = values.withLock { $0.skipped.insert(step) }
    }

    func result(of step: String) -> Data? {
        values.withLock { $0.results[step] }
    }

    func wasSkipped(_ step: String) -> Bool {
        values.withLock { $0.skipped.contains(step) }
    }
}
