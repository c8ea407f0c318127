import Distributed
import TitanPM

/// Fails on purpose, a set number of times per key, and sleeps on request.
public struct FlakyFailure: Error, Codable, Sendable, Hashable {
    /// The call that failed, counting from 1.
    public var call: Int
}

/// A service whose calls fail the first `failures` times for each key, then succeed.
public distributed actor Flaky: ProcessService {
    public static let name = "flaky"

    private var calls: [String: Int] = [:]

    /// Throws ``FlakyFailure`` on the first `failures` calls with `key`; then returns how many
    /// calls with `key` there have been.
    public distributed func attempt(_ key: String, failures: Int) throws -> Int {
        let call = calls[key, default: 0] + 1
        calls[key] = call
        if call <= failures { throw FlakyFailure(call: call) }
        return call
    }

    /// Calls made with `key` so far.
    public distributed func calls(_ key: String) -> Int {
        calls[key, default: 0]
    }

    /// Sleeps `milliseconds`, then returns them.
    public distributed func sleep(milliseconds: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }
}
