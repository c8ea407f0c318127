import Foundation
import Glibc
import Synchronization
import TitanPM
import TitanWorkflows

/// The suite runs serially: the machine is small and several tests spawn many processes.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Races `body` against a deadline; throws if the deadline wins.
func within<T: Sendable>(_ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TestFailure("timed out waiting for \(what)")
        }
        return value
    }
}

/// Runs `body` with a fresh manager and always shuts it down afterwards.
func withManager<T>(_ body: (ProcessManager) async throws -> T) async throws -> T {
    let pm = ProcessManager()
    do {
        let result = try await body(pm)
        await pm.shutdown(timeout: .seconds(5))
        return result
    } catch {
        await pm.shutdown(timeout: .seconds(5))
        throw error
    }
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

/// Collects a runner's events from the moment it is made, and lets a test await one.
final class EventLog: Sendable {
    private struct State {
        var events: [WorkflowEvent] = []
        var waiters: [(predicate: @Sendable (WorkflowEvent.Kind) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())
    private let task = Mutex<Task<Void, Never>?>(nil)

    init<W>(_ runner: WorkflowRunner<W>) {
        let stream = runner.events
        task.withLock {
            $0 = Task { [weak self] in
                for await event in stream {
                    guard let self else { return }
                    let matched = self.state.withLock { state in
                        state.events.append(event)
                        let hit = state.waiters.filter { $0.predicate(event.kind) }
                        state.waiters.removeAll { $0.predicate(event.kind) }
                        return hit.map(\.continuation)
                    }
                    matched.forEach { $0.resume() }
                }
            }
        }
    }

    deinit { task.withLock { $0?.cancel() } }

    var all: [WorkflowEvent.Kind] { state.withLock { $0.events.map(\.kind) } }

    /// The events as short strings ("started B", "completed B", "compensated payment", ...).
    var trace: [String] { all.compactMap(Self.short) }

    /// Waits (up to `timeout`) for an event whose short form is `short`, recorded already or later.
    func await(_ short: String, timeout: Duration = .seconds(30)) async throws {
        let predicate: @Sendable (WorkflowEvent.Kind) -> Bool = { Self.short($0) == short }
        try await within(timeout, "event \(short)") { [self] in
            await withCheckedContinuation { continuation in
                let seen = self.state.withLock { state in
                    if state.events.contains(where: { predicate($0.kind) }) { return true }
                    state.waiters.append((predicate, continuation))
                    return false
                }
                if seen { continuation.resume() }
            }
        }
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
