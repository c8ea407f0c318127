import Distributed
import TitanPM

/// A barrier across processes: each call waits until `parties` calls of the same group are
/// inside, so stages that call it prove they overlap (if they did not, the test times out),
/// and the most calls ever inside at once shows a concurrency limit held.
public distributed actor Rendezvous: ProcessService {
    public static let name = "rendezvous"

    private var inside: [String: Int] = [:]
    private var mostInside: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Waits until `parties` calls of `group` (this one included) have arrived since the last
    /// release; returns how many calls of the group were inside when this one arrived.
    public distributed func meet(_ group: String, parties: Int) async -> Int {
        let now = inside[group, default: 0] + 1
        inside[group] = now
        mostInside[group] = max(mostInside[group, default: 0], now)
        var queue = waiting[group, default: []]
        if queue.count + 1 >= parties {
            waiting[group] = []
            queue.forEach { $0.resume() }
        } else {
            await withCheckedContinuation { continuation in
                queue.append(continuation)
                waiting[group] = queue
            }
        }
        inside[group, default: 1] -= 1
        return now
    }

    /// The most calls of `group` that were inside at once.
    public distributed func mostInside(_ group: String) -> Int {
        mostInside[group, default: 0]
    }
}
