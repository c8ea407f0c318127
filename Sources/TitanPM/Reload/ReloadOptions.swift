/// How ``ProcessManager/reload(_:options:)`` and ``ProcessPool/reload(batchSize:options:)``
/// replace a running incarnation.
public struct ReloadOptions: Sendable {
    /// The program the new incarnation runs; nil runs the one the process runs now. Restarts
    /// after a successful reload run this one too.
    public var executable: String?
    /// Variables set in the new incarnation's environment, over the ones it had.
    public var environment: [String: String]
    /// How long the new incarnation may take to become ready; nil uses the process's
    /// ``SpawnOptions/startTimeout``.
    public var startTimeout: Duration?
    /// How long the new incarnation must run, ready, before calls are switched to it: one that
    /// exits within this period is rolled back.
    public var settle: Duration
    /// How long the health check of the new incarnation may take; a service that does not
    /// answer by then is taken as unhealthy.
    public var healthTimeout: Duration
    /// How long calls and streams still running on the old incarnation may take to finish once
    /// new calls go to the new one; the old incarnation is then stopped gracefully
    /// (``SpawnOptions/stopTimeout`` per step) whatever still runs.
    public var drainTimeout: Duration

    /// Reload options; by default the same program, a settle period of 200 ms and a drain
    /// timeout of 30 seconds.
    public init(
        executable: String? = nil,
        environment: [String: String] = [:],
        startTimeout: Duration? = nil,
        settle: Duration = .milliseconds(200),
        healthTimeout: Duration = .seconds(5),
        drainTimeout: Duration = .seconds(30)
    ) {
        self.executable = executable
        self.environment = environment
        self.startTimeout = startTimeout
        self.settle = settle
        self.healthTimeout = healthTimeout
        self.drainTimeout = drainTimeout
    }
}
