/// Decides, from a ``RestartPolicy``, whether a process that exited on its own starts again
/// and after which delay; counts restarts over the policy's sliding window.
///
/// A pure value: the caller passes the time and carries out the decision (waits out the
/// delay on its clock, then launches).
public struct RestartScheduler: Sendable, Hashable {
    /// What follows an exit.
    public enum Decision: Sendable, Hashable {
        /// The policy does not restart after this exit.
        case none
        /// Start again after `delay`; this is restart `attempt` (1-based) within the window.
        case restart(after: Duration, attempt: Int)
        /// More restarts than the policy allows within its window: give up.
        case giveUp(restarts: Int)
    }

    /// The policy applied.
    public let policy: RestartPolicy
    private var window: SlidingWindow

    /// A scheduler for `policy` with no restarts counted yet.
    public init(policy: RestartPolicy) {
        self.policy = policy
        window = SlidingWindow(length: policy.window)
    }

    /// Decides what follows an unrequested exit with `termination` at `now`, and counts the
    /// restart it allows.
    public mutating func decide(after termination: Termination, at now: ClockInstant) -> Decision {
        guard policy.wantsRestart(after: termination) else { return .none }
        let recent = window.count(at: now)
        guard recent < policy.maxRestarts else { return .giveUp(restarts: recent) }
        window.record(at: now)
        return .restart(after: policy.backoff.delay(attempt: recent), attempt: recent + 1)
    }
}
