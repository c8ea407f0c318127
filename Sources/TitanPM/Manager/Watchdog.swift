/// A liveness check for a child (``SpawnOptions/watchdog``), like systemd's `WatchdogSec`:
/// every ``interval`` the manager sends a heartbeat that the child answers once its service's
/// actor has run a job; a child that does not answer within ``timeout`` — its service is stuck
/// in a loop, deadlocked, or keeps every thread busy — is killed, and its restart policy
/// applies. The `crashed` event's ``ProcessEvent/reason`` says it was the watchdog.
///
/// Choose a timeout longer than the longest stretch the service may legitimately keep its
/// actor busy without suspending.
public struct Watchdog: Sendable, Hashable {
    /// How long a heartbeat may go unanswered.
    public var timeout: Duration
    /// How long after an answered heartbeat the next one is sent.
    public var interval: Duration

    /// A watchdog that kills a child that does not answer within `timeout`, asking every
    /// `interval` (half the timeout by default).
    public init(timeout: Duration, interval: Duration? = nil) {
        self.timeout = timeout
        self.interval = interval ?? timeout / 2
    }
}
