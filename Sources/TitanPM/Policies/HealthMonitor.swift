import TitanActorSystem
import TitanCore
import TitanPolicies

/// Calls a service's `@HealthCheck` method on its interval, on the manager's clock: an
/// unhealthy answer (or a failed or late check) is a ``PolicyEvent`` and the process's
/// ``ProcessInfo/health``; a `critical` one gets the process restarted — by the manager, or,
/// for a pool's worker or a supervised child, by killing it so that its owner replaces it.
final class HealthMonitor: Sendable {
    private let task: Task<Void, Never>

    /// Starts checking `process` with `probe` until ``stop()``.
    init(process: ManagedProcess, probe: ContractSetup.HealthProbe, system: ProcessActorSystem, emit: @escaping @Sendable (PolicyEvent) -> Void) {
        let clock = system.clock
        task = Task { [weak process] in
            var healthy = true
            while !Task.isCancelled {
                do {
                    try await clock.sleep(for: probe.policy.interval)
                } catch {
                    return
                }
                guard let process, process.status == .running else { continue }
                let status: HealthStatus
                do {
                    status = try await ProcessActorSystem.withCallTimeout(probe.policy.interval) {
                        try await probe.check(system, process.id)
                    }
                } catch is CancellationError {
                    return
                } catch {
                    status = HealthStatus(.unhealthy, message: "\(probe.method) failed: \(error)")
                }
                process.recordHealth(status)
                let unhealthy = status.state == .unhealthy
                if unhealthy == healthy {
                    healthy = !unhealthy
                    emit(PolicyEvent(unhealthy ? .unhealthy : .healthy, process: process.id, method: probe.method, reason: status.message))
                }
                if unhealthy && probe.policy.critical {
                    healthy = true
                    await process.restartUnhealthy(because: "\(probe.method) reported \(status)")
                }
            }
        }
    }

    /// Stops checking.
    func stop() {
        task.cancel()
    }

    deinit {
        task.cancel()
    }
}
