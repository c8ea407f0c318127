import TitanCore
import TitanWire
import TitanTransport
import TitanActorSystem
import TitanProcess

/// Something a ``ProcessManager`` runs that owns processes of its own (a pool, a
/// supervisor); the manager shuts it down before stopping the processes themselves.
protocol ProcessGroup: AnyObject, Sendable {
    var id: ProcessID { get }
    func shutdown(timeout: Duration) async
}
