import TitanCore
import TitanTelemetry
import TitanWire
import TitanTransport
import TitanActorSystem
import TitanProcess

/// Something a ``ProcessManager`` runs that owns processes of its own (a pool, a
/// supervisor); the manager shuts it down before stopping the processes themselves.
protocol ProcessGroup: AnyObject, Sendable {
    var id: ProcessID { get }
    /// The service its processes run, for metrics (a supervisor: its name).
    var serviceName: String { get }
    func shutdown(timeout: Duration) async
    /// What it reports to the metrics backend (a pool: its stats); empty by default.
    func metricsSamples() async -> MetricsSnapshot
    /// The processes it runs now, for ``ProcessManager/metrics(of:timeout:)`` of the group.
    func memberIDs() async -> [ProcessID]
}

extension ProcessGroup {
    func metricsSamples() async -> MetricsSnapshot { MetricsSnapshot() }
    func memberIDs() async -> [ProcessID] { [] }
}
