/// Where a managed process is in its life.
public enum ProcessStatus: String, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Launched, not yet ready to take calls.
    case starting
    /// Ready; calls go through.
    case running
    /// Being stopped (graceful request, then SIGTERM, then SIGKILL).
    case stopping
    /// Ended on request or exited cleanly on its own; it will not run again.
    case stopped
    /// Died unexpectedly (killed, trapped, or exited with a failure code).
    case crashed
    /// Waiting out the restart backoff before starting again (or being stopped for a
    /// requested restart); calls made now wait for the new incarnation.
    case restarting
    /// Crashed more often than its restart policy allows; it will not run again.
    case failed

    /// Whether the process can never take calls again.
    public var isTerminal: Bool {
        switch self {
        case .stopped, .failed: true
        case .crashed, .starting, .running, .stopping, .restarting: false
        }
    }

    /// The status's name (`running`).
    public var description: String { rawValue }
}
