import Foundation
import Glibc
import Synchronization
import TitanPMTestKit
import TitanWorkflows

/// The suite runs serially: the machine is small and several tests spawn many processes.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory for one test's files.
func temporaryDirectory() throws -> String {
    var template = Array("/tmp/titan-wf-XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        throw TestFailure("cannot create a temporary directory")
    }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Path of an executable built next to the test binary.
func builtProduct(_ name: String) -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let exe = String(cString: Array(buffer[0..<max(n, 0)]) + [0])
    return exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/" + name
}

/// A runner's events from the moment it is made, in the short form the tests compare.
final class EventLog: Sendable {
    private let recorder: EventRecorder<WorkflowEvent>

    init<W>(_ runner: WorkflowRunner<W>) {
        recorder = EventRecorder(runner.events)
    }

    var all: [WorkflowEvent.Kind] { recorder.events.map(\.kind) }

    /// The events as short strings ("started B", "completed B", "compensated payment", ...).
    var trace: [String] { all.compactMap(Self.short) }

    /// Waits (up to `timeout`) for an event whose short form is `short`, recorded already or later.
    func await(_ short: String, timeout: Duration = .seconds(30)) async throws {
        try await recorder.first("event \(short)", timeout: timeout) { Self.short($0.kind) == short }
    }

    static func short(_ kind: WorkflowEvent.Kind) -> String? {
        switch kind {
        case .stageStarted(let stage, _): "started \(stage)"
        case .stageCompleted(let stage): "completed \(stage)"
        case .stageSkipped(let stage): "skipped \(stage)"
        case .stageReplayed(let stage): "replayed \(stage)"
        case .stageRetrying(let stage, _, _, _): "retrying \(stage)"
        case .stageFailed(let stage, _): "failed \(stage)"
        case .compensationStarted(let stage, _): "compensating \(stage)"
        case .compensationCompleted(let stage): "compensated \(stage)"
        case .compensationFailed(let stage, _, _, _): "compensation-failed \(stage)"
        case .runCompleted: "run completed"
        case .runFailed: "run failed"
        case .runCancelled: "run cancelled"
        case .runStarted, .runResumed: nil
        }
    }
}
