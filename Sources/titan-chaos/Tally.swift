import Synchronization
import TitanPM

/// What one chaos target saw: calls by outcome, and how long each kill took to heal.
final class Tally: Sendable {
    private struct State {
        var ok = 0
        var wrong = 0
        var hung = 0
        var failed: [String: Int] = [:]
        var kills = 0
        var healing: [Duration] = []
    }

    let name: String
    private let state = Mutex(State())

    init(_ name: String) {
        self.name = name
    }

    /// A call longer than this counts as hung (it is cut off there).
    static let hangBound: Duration = .seconds(10)

    /// Runs one call through the hang bound and files its outcome; `body` says whether the
    /// result was right.
    func call(_ body: () async throws -> Bool) async {
        do {
            let right = try await ProcessActorSystem.withCallTimeout(Self.hangBound) { try await body() }
            state.withLock { right ? ($0.ok += 1) : ($0.wrong += 1) }
        } catch let error as ProcessError where error.code == .timedOut {
            state.withLock { $0.hung += 1 }
        } catch {
            fail(error)
        }
    }

    /// Files a failure by its kind.
    func fail(_ error: any Error) {
        let kind = (error as? ProcessError)?.code.rawValue ?? String(describing: type(of: error))
        state.withLock { $0.failed[kind, default: 0] += 1 }
    }

    func recordWrong() { state.withLock { $0.wrong += 1 } }
    func recordHung() { state.withLock { $0.hung += 1 } }
    func recordOK() { state.withLock { $0.ok += 1 } }

    /// A kill that took `healing` until the target served again.
    func killed(healing: Duration) {
        state.withLock {
            $0.kills += 1
            $0.healing.append(healing)
        }
    }

    var ok: Int { state.withLock { $0.ok } }
    var wrong: Int { state.withLock { $0.wrong } }
    var hungCount: Int { state.withLock { $0.hung } }
    var failed: [String: Int] { state.withLock { $0.failed } }
    var kills: Int { state.withLock { $0.kills } }

    /// The `q` quantile of the kill → serving times, in milliseconds.
    func healingMilliseconds(_ q: Double) -> Double {
        let sorted = state.withLock { $0.healing }.sorted()
        guard !sorted.isEmpty else { return .nan }
        let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
        return Double(value.components.attoseconds) / 1e15 + Double(value.components.seconds) * 1000
    }
}
