import Synchronization
import TitanPM

/// Keeps `concurrency` calls in flight — each loop makes its next call as soon as the last one
/// returned — until ``stop()``, and records which pid served each call and every failure.
final class CallLoad: Sendable {
    struct Outcome: Sendable {
        var succeeded: Int
        var failures: [String]
        /// The pids that served calls, in order of completion.
        var pids: [Int32]
    }

    private struct State {
        var outcome = Outcome(succeeded: 0, failures: [], pids: [])
        var stopping = false
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())
    private let loops = Mutex<Task<Void, Never>?>(nil)

    /// Starts `concurrency` loops of `call` (given the loop's number; returns the serving pid).
    init(concurrency: Int, _ call: @escaping @Sendable (Int) async throws -> Int32) {
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for loop in 0..<concurrency {
                    group.addTask { await self.run(loop, call) }
                }
            }
        }
        loops.withLock { $0 = task }
    }

    private func run(_ loop: Int, _ call: @Sendable (Int) async throws -> Int32) async {
        while !state.withLock({ $0.stopping }) {
            let result: Result<Int32, any Error>
            do {
                result = .success(try await call(loop))
            } catch {
                result = .failure(error)
            }
            let resumed = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                switch result {
                case .success(let pid):
                    state.outcome.succeeded += 1
                    state.outcome.pids.append(pid)
                case .failure(let error):
                    state.outcome.failures.append("\(error)")
                }
                let done = state.waiters.filter { $0.count <= state.outcome.succeeded }
                state.waiters.removeAll { $0.count <= state.outcome.succeeded }
                return done.map(\.continuation)
            }
            for continuation in resumed { continuation.resume() }
        }
    }

    /// How many calls have succeeded so far.
    var succeededSoFar: Int { state.withLock { $0.outcome.succeeded } }

    /// Returns once `count` calls have succeeded in all.
    func waitForSuccesses(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.outcome.succeeded >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Lets each loop finish the call it is making, and returns what all of them saw.
    func stop() async -> Outcome {
        state.withLock { $0.stopping = true }
        await loops.withLock { $0 }?.value
        return state.withLock { $0.outcome }
    }
}
