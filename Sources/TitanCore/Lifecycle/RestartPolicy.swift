/// Whether and how a process that dies is started again.
///
/// Restarts are counted over a sliding window: if the process needs more than `maxRestarts`
/// restarts within `window`, the manager gives up, marks it ``ProcessStatus/failed`` and
/// emits an event. Between restarts it waits for the backoff delay of the attempt.
public struct RestartPolicy: Sendable, Hashable {
    /// Which exits lead to a restart.
    public enum Mode: Sendable, Hashable {
        /// Never restart.
        case never
        /// Restart after a crash (a signal or a non-zero exit code), not after a clean exit.
        case onFailure
        /// Restart after any exit that was not requested.
        case always
    }

    public var mode: Mode
    public var maxRestarts: Int
    public var window: Duration
    public var backoff: Backoff

    public init(mode: Mode, maxRestarts: Int = 5, within window: Duration = .seconds(60), backoff: Backoff = .exponential()) {
        self.mode = mode
        self.maxRestarts = maxRestarts
        self.window = window
        self.backoff = backoff
    }

    /// Dead stays dead.
    public static let never = RestartPolicy(mode: .never, maxRestarts: 0)

    /// Restart after crashes, at most `maxRestarts` times within `window`.
    public static func onFailure(maxRestarts: Int = 5, within window: Duration = .seconds(60), backoff: Backoff = .exponential()) -> RestartPolicy {
        RestartPolicy(mode: .onFailure, maxRestarts: maxRestarts, within: window, backoff: backoff)
    }

    /// Restart after every unrequested exit, at most `maxRestarts` times within `window`.
    public static func always(maxRestarts: Int = 5, within window: Duration = .seconds(60), backoff: Backoff = .exponential()) -> RestartPolicy {
        RestartPolicy(mode: .always, maxRestarts: maxRestarts, within: window, backoff: backoff)
    }

    /// Whether an unrequested exit with `status` calls for a restart (before counting).
    public func wantsRestart(after status: Termination) -> Bool {
        switch mode {
        case .never: false
        case .onFailure: !status.isSuccess
        case .always: true
        }
    }
}
