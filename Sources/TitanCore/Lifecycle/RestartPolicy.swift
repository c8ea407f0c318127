/// Whether and how a process that dies is started again.
///
/// Restarts are counted over a sliding window: if the process needs more than `maxRestarts`
/// restarts within `window`, the manager gives up, marks it ``ProcessStatus/failed`` and
/// emits an event. Between restarts it waits for the backoff delay of the attempt.
///
/// ```swift
/// let options = SpawnOptions(restartPolicy: .onFailure(maxRestarts: 3, within: .seconds(60),
///                                                      backoff: .exponential(initial: .milliseconds(200))))
/// ```
///
/// Only exits nobody asked for count: a process stopped or restarted through the manager is
/// never restarted by its policy. A process in a pool or a supervision tree follows the
/// pool's or the supervisor's rules instead; its own policy is ignored.
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

    /// Which exits lead to a restart.
    public var mode: Mode
    /// The most restarts allowed within ``window``; the exit that would need one more marks
    /// the process failed.
    public var maxRestarts: Int
    /// How far back restarts count toward ``maxRestarts``.
    public var window: Duration
    /// The delay before each restart, by its number within the window.
    public var backoff: Backoff

    /// A policy of `mode`, allowing `maxRestarts` restarts within `window`, each after
    /// `backoff`'s delay. The static members (``never``, ``onFailure(maxRestarts:within:backoff:)``,
    /// ``always(maxRestarts:within:backoff:)``) read better at the call site.
    public init(mode: Mode, maxRestarts: Int = 5, within window: Duration = .seconds(60), backoff: Backoff = .exponential()) {
        self.mode = mode
        self.maxRestarts = maxRestarts
        self.window = window
        self.backoff = backoff
    }

    /// Dead stays dead: the default of `SpawnOptions`. After a crash the process is
    /// ``ProcessStatus/crashed`` for good and every later call fails at once with
    /// ``ProcessError/Code/processExited``, naming the same termination.
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
