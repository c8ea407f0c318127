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
    /// Died unexpectedly (killed, trapped, or exited with a failure code). A passing state:
    /// next comes `restarting`, or `failed` when no restart follows — except for a process a
    /// supervisor looks after, which stays here until the supervisor decides.
    case crashed
    /// Waiting out the restart backoff before starting again (or being stopped for a
    /// requested restart); calls made now wait for the new incarnation.
    case restarting
    /// Crashed and will not run again: its restart policy does not restart it (`.never`, or
    /// a clean exit under `.onFailure` ends in `stopped` instead), its restarts are used up,
    /// or its supervisor let it go.
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
