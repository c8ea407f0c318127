/// A service another service needs: its name and the versions that will do.
///
/// A service lists what it depends on in ``ProcessService/dependencies``; the manager starts
/// (or insists on) those first when it is spawned, and inside the service
/// `actorSystem.dependency(_:)` returns a typed reference to a running one:
///
/// ```swift
/// distributed actor Checkout: ProcessService {
///     static var dependencies: [ServiceDependency] { [.on(Inventory.self, "^2.1")] }
/// }
/// ```
public struct ServiceDependency: Sendable, Hashable, CustomStringConvertible {
    /// The name the dependency registers under (its ``ProcessService/name``).
    public let name: String
    /// The versions that satisfy it, as a semantic-version range (`"^2.1"`, `">=1.0 <3"`, `"*"`).
    public let versionRange: String
    /// The dependency's type, when it was declared with one: the manager can then start it.
    package let service: (any ProcessService.Type)?

    /// A dependency on `service`, in the versions `versionRange` admits (any by default); the
    /// manager can start it when it is not running.
    public static func on<S: ProcessService>(_ service: S.Type, _ versionRange: String = "*") -> ServiceDependency {
        ServiceDependency(name: S.name, versionRange: versionRange, service: service)
    }

    /// A dependency on the service registered as `name`, in the versions `versionRange`
    /// admits: the manager can wait for it or refuse without it, but not start it.
    public init(name: String, versionRange: String = "*") {
        self.init(name: name, versionRange: versionRange, service: nil)
    }

    private init(name: String, versionRange: String, service: (any ProcessService.Type)?) {
        self.name = name
        self.versionRange = versionRange
        self.service = service
    }

    /// `name@versionRange`.
    public var description: String { "\(name)@\(versionRange)" }

    public static func == (lhs: ServiceDependency, rhs: ServiceDependency) -> Bool {
        lhs.name == rhs.name && lhs.versionRange == rhs.versionRange
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(versionRange)
    }
}
