import Glibc
import Synchronization
import Testing
@testable import TitanPM
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// The whole suite runs serially: several tests count this process's descriptors and child
/// processes, which parallel tests would disturb.
@Suite(.serialized) struct TitanPMTests {}

struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Path of the `titan-test-host` executable built next to the test binary.
let testHostPath: String = {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let exe = String(cString: Array(buffer[0..<max(n, 0)]) + [0])
    let directory = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return directory + "/titan-test-host"
}()

/// Runs `body` with a fresh manager and always shuts it down afterwards.
@discardableResult
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

/// Races `body` against a deadline; throws ``TestTimeout`` if the deadline wins.
func within<T: Sendable>(_ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TestTimeout(what: what)
        }
        return value
    }
}

/// Records a manager's events from the moment it is created and lets a test await one.
final class EventRecorder: Sendable {
    private struct State {
        var events: [ProcessEvent] = []
        var nextWaiter = 0
        var waiters: [Int: (predicate: @Sendable (ProcessEvent) -> Bool, continuation: CheckedContinuation<ProcessEvent?, Never>)] = [:]
    }

    private let state = Mutex(State())
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(_ pm: ProcessManager) {
        let stream = pm.events
        task.withLock {
            $0 = Task { [weak self] in
                for await event in stream {
                    guard let self else { return }
                    let matched = self.state.withLock { state -> [CheckedContinuation<ProcessEvent?, Never>] in
                        state.events.append(event)
                        let keys = state.waiters.filter { $0.value.predicate(event) }.map(\.key)
                        return keys.compactMap { state.waiters.removeValue(forKey: $0)?.continuation }
                    }
                    for continuation in matched { continuation.resume(returning: event) }
                }
            }
        }
    }

    deinit {
        task.withLock { $0?.cancel() }
    }

    var events: [ProcessEvent] { state.withLock { $0.events } }

    /// The first recorded event (past or future) matching `predicate`.
    func first(
        _ what: String,
        timeout: Duration = .seconds(20),
        where predicate: @escaping @Sendable (ProcessEvent) -> Bool
    ) async throws -> ProcessEvent {
        let key = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let event = try await within(timeout, what) { [self] in
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<ProcessEvent?, Never>) in
                    let immediate = self.state.withLock { state -> ProcessEvent?? in
                        if let event = state.events.first(where: predicate) { return .some(event) }
                        // Cancelled before registering: onCancel has run and found nothing.
                        if Task.isCancelled { return .some(nil) }
                        state.waiters[key] = (predicate, continuation)
                        return .none
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
            } onCancel: {
                self.state.withLock { $0.waiters.removeValue(forKey: key) }?.continuation.resume(returning: nil)
            }
        }
        guard let event else { throw TestTimeout(what: what) }
        return event
    }
}

/// Whether `pid` is a live (not zombie) process.
func isAlive(_ pid: Int32) -> Bool {
    ProcFS.isAlive(pid)
}

/// Polls a condition that has no event to await (descriptor counts, process table entries),
/// until it holds or `timeout` passes.
func eventually(_ timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A counter a test can read while another task increments it.
final class AsyncCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    /// The current value, then increments it.
    func take() -> Int {
        count.withLock { n in
            defer { n += 1 }
            return n
        }
    }
    var value: Int { count.withLock { $0 } }
}
