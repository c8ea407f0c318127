import ServiceLifecycle
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

extension ProcessManager: Service {
    /// Runs until the service group shuts down gracefully (or this task is cancelled), then
    /// stops every child with ``shutdown(timeout:)``. Add the manager to a `ServiceGroup`
    /// next to the server that uses it, so SIGTERM to the program stops the children in order.
    /// Never throws.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}
