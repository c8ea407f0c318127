import TitanCore

/// A pool seen without its service type: what an operator's tool (the admin endpoint, the
/// dashboard) reads and does to it.
package protocol PoolControl: AnyObject, Sendable {
    var id: ProcessID { get }
    /// The name its workers run under (``SpawnOptions/name`` or the service's name).
    var serviceName: String { get }
    var stats: PoolStats { get }
    var workers: [ProcessID] { get }
    var events: AsyncStream<PoolEvent> { get }
    func scale(to size: Int) async
    func restartWorkers() async
    func shutdown(timeout: Duration) async
}
