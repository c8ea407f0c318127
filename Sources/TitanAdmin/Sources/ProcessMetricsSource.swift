import TitanAdminAPI
import TitanPM

/// Calls a process has answered, as the manager records them.
package struct CallFigures: Sendable, Hashable {
    package var calls: Int
    package var errors: Int
    package var inFlight: Int?
    /// Median and 99th-percentile latency in seconds.
    package var latencyP50: Double?
    package var latencyP99: Double?
    package var methods: [MetricsReport.Method]

    package init(calls: Int, errors: Int, inFlight: Int? = nil, latencyP50: Double? = nil, latencyP99: Double? = nil, methods: [MetricsReport.Method] = []) {
        self.calls = calls
        self.errors = errors
        self.inFlight = inFlight
        self.latencyP50 = latencyP50
        self.latencyP99 = latencyP99
        self.methods = methods
    }
}

/// Where the endpoint gets call counts and latencies of a process. CPU and memory always
/// come from /proc; calls come from the manager's metrics where it records them.
package protocol ProcessMetricsSource: Sendable {
    /// Named in ``/TitanAdminAPI/ManagerReport/metricsSource`` and ``/TitanAdminAPI/MetricsReport/source``.
    var name: String { get }
    /// The figures for process `id`, or nil where nothing is recorded.
    func calls(of id: ProcessID) async -> CallFigures?
}

/// Only what /proc tells: CPU and memory, no calls.
struct ProcFSOnlyMetrics: ProcessMetricsSource {
    var name: String { "procfs" }
    func calls(of id: ProcessID) async -> CallFigures? { nil }
}
