import Glibc
import TitanPM
import TitanWorkflowTestServices
import TitanWorkflows

/// Five stages in a row, each calling a ``StepRecorder`` in a child process with its
/// idempotency key; each but the last has a compensation. Flags make it hang (so the test can
/// kill the host at a known point) or fail.
struct FiveStages: Workflow {
    static let name = "five-stages"
    static let version = "1"
    typealias Input = String

    let recorder: StepRecorder
    /// Hang in this stage, after its service call, until killed.
    var hangStage: String?
    /// Fail this stage.
    var failStage: String?
    /// Hang in this stage's compensation, after its service call, until killed.
    var hangCompensation: String?

    func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<[String]> {
        var previous: Stage<[String]>?
        for n in 1...5 {
            let name = "s\(n)"
            let before = previous
            let body: @Sendable (StageContext<Self>) async throws -> [String] = { ctx in
                var done = try before.map { try ctx.result(of: $0) } ?? []
                if failStage == name { throw HostFailure(stage: name) }
                done.append(try await recorder.perform(name))
                if hangStage == name { try await Self.hang("IN-FLIGHT \(name)") }
                return done
            }
            let compensate: @Sendable (StageContext<Self>, [String]) async throws -> Void = { ctx, _ in
                try await recorder.undo(name)
                if hangCompensation == name { try await Self.hang("IN-FLIGHT compensate \(name)") }
            }
            previous = if let before {
                plan.stage(name, after: before, body: body, compensate: compensate)
            } else {
                plan.stage(name, body: body, compensate: compensate)
            }
        }
        return previous!
    }

    /// Tells the test where the host is, then waits to be killed.
    static func hang(_ line: String) async throws -> Never {
        say(line)
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

struct HostFailure: Error, Codable, Sendable {
    var stage: String
}

/// One line on stdout, flushed at once: the test reads them as events.
func say(_ line: String) {
    print(line)
    fflush(nil)
}
