import TitanAdminAPI
import TitanPM

/// A service an operator may start by name through the admin endpoint
/// (`{"op":"spawn","name":"calculator"}`, or the dashboard's spawn button).
///
/// ```swift
/// AdminOptions(services: [SpawnableService(Calculator.self, options: SpawnOptions(restartPolicy: .always()))])
/// ```
public struct SpawnableService: Sendable {
    /// The name operators use: the service's `ProcessService.name`, or ``/TitanPM/SpawnOptions/name``.
    public let name: String
    /// The service's version.
    public let version: String
    /// The Swift type's name.
    public let typeName: String
    let serviceType: any ProcessService.Type
    let start: @Sendable (ProcessManager, JSONValue?) async throws -> ProcessID

    /// Makes `type` spawnable with `options`; a spawn request's `arguments` are decoded as
    /// its `Configuration` (none: `{}`).
    public init<Service: ProcessService>(_ type: Service.Type, options: SpawnOptions = SpawnOptions()) {
        name = options.name ?? Service.name
        version = options.version ?? Service.version
        typeName = _typeName(Service.self, qualified: true)
        serviceType = Service.self
        start = { manager, arguments in
            let configuration: Service.Configuration
            do {
                configuration = try (arguments ?? .object([:])).decode(as: Service.Configuration.self)
            } catch {
                throw AdminError(.badRequest, "the configuration for \(Service.name) does not decode as \(Service.Configuration.self): \(error)")
            }
            let service = try await manager.spawn(Service.self, configuration: configuration, options: options)
            return service.id.process
        }
    }
}
