import Logging
import TitanPM

/// Runs `body` with a fresh ``/TitanPM/ProcessManager`` and shuts it down afterwards, whether `body`
/// returns or throws: no child outlives the test.
///
/// Pass a `ManualClock` to drive the manager's timeouts, restart backoff and intensity
/// windows from the test instead of waiting for them; pass `observability` to record less
/// (``/TitanPM/ObservabilityOptions/disabled``: children write to the test's own output).
/// Rethrows what `body` throws, after the shutdown.
@discardableResult
public func withProcessManager<T>(
    clock: any RuntimeClock = SystemClock.shared,
    observability: ObservabilityOptions = ObservabilityOptions(),
    shutdownTimeout: Duration = .seconds(5),
    _ body: (ProcessManager) async throws -> T
) async throws -> T {
    let manager = ProcessManager(clock: clock, observability: observability)
    do {
        let result = try await body(manager)
        await manager.shutdown(timeout: shutdownTimeout)
        return result
    } catch {
        await manager.shutdown(timeout: shutdownTimeout)
        throw error
    }
}

/// Crash simulation for tests: kill a process as a crash would and await what follows.
extension ProcessManager {
    /// Kills process `id` as a crash would (SIGKILL by default) and returns the event that
    /// reports its death (`crashed`, `failed` when its restarts are used up, or `stopped` when
    /// the signal made it exit cleanly, as SIGTERM does).
    ///
    /// The spec's `simulateCrash`: with a restart policy, follow it with ``awaitRecovery(of:timeout:)``.
    /// Throws what `kill(_:signal:)` throws, or ``TestTimeout`` if the death is not reported
    /// within `timeout`.
    @discardableResult
    public func simulateCrash(of id: ProcessID, signal: Signal = .kill, timeout: Duration = .seconds(20)) async throws -> ProcessEvent {
        let events = EventRecorder(self)
        let pid = process(id: id)?.pid
        try kill(id, signal: signal)
        return try await events.first("\(id) to die after \(signal)", timeout: timeout) { event in
            event.process == id && (event.status == .crashed || event.status == .failed || event.status == .stopped) && (pid == nil || event.pid == pid)
        }
    }

    /// Waits until process `id` runs again after a crash or restart, and returns its new
    /// snapshot; throws ``TestTimeout`` if it does not within `timeout`.
    @discardableResult
    public func awaitRecovery(of id: ProcessID, timeout: Duration = .seconds(20)) async throws -> ProcessInfo {
        let events = EventRecorder(self)
        if let now = process(id: id), now.status == .running { return now }
        try await events.first("\(id) to run again", timeout: timeout) { $0.process == id && $0.status == .running }
        guard let info = process(id: id) else { throw ProcessError.unknownProcess(id) }
        return info
    }
}
