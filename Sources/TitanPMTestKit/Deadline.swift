import TitanPM

/// A wait in a test that ran past its deadline.
public struct TestTimeout: Error, CustomStringConvertible {
    /// What the test was waiting for.
    public var what: String
    /// How long it waited.
    public var timeout: Duration

    /// A timeout of `timeout` waiting for `what`.
    public init(what: String, timeout: Duration) {
        self.what = what
        self.timeout = timeout
    }

    /// `timed out after 20.0 seconds waiting for ...`.
    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}

/// Runs `body`, failing with ``TestTimeout`` if it has not finished within `timeout` of real
/// time: the guard around every wait for an event in a test, so a missing event fails the
/// test instead of hanging it.
public func within<T: Sendable>(
    _ timeout: Duration,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await SystemClock.shared.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TestTimeout(what: what, timeout: timeout)
        }
        return value
    }
}
