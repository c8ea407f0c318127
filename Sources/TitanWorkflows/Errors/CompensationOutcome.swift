/// How the compensation of one completed stage went.
public struct CompensationOutcome: Codable, Sendable, Hashable, CustomStringConvertible {
    /// How it ended.
    public enum Result: Codable, Sendable, Hashable {
        /// The compensation succeeded.
        case compensated
        /// The compensation failed after its retries; the stage's effect may still be in place.
        case failed(WorkflowFailure)
    }

    /// The stage that was compensated (for an item of a `map` or a dynamic stage, its own name).
    public var stage: String
    /// How it ended.
    public var result: Result
    /// Attempts made in this process (a compensation resumed after a crash counts from 1 again).
    public var attempts: Int

    /// An outcome; the engine reports these in ``WorkflowError/compensations``.
    public init(stage: String, result: Result, attempts: Int) {
        self.stage = stage
        self.result = result
        self.attempts = attempts
    }

    /// Whether the compensation succeeded.
    public var succeeded: Bool {
        if case .compensated = result { return true }
        return false
    }

    /// A short description for logs.
    public var description: String {
        switch result {
        case .compensated: "\(stage) compensated"
        case .failed(let failure): "\(stage) NOT compensated after \(attempts) attempt(s) (\(failure))"
        }
    }
}
