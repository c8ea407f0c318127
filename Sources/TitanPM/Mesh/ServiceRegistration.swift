import TitanCore

/// A running service as the manager's registry lists it: `name@version`, where it runs.
///
/// Every spawned service, every supervised child and every pool (under its workers' service
/// name) is registered while it runs; a pool's workers are reached through their pool and are
/// not listed on their own.
public struct ServiceRegistration: Sendable, Hashable, CustomStringConvertible {
    /// What is registered.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The kind's name.
        public let rawValue: String
        /// The kind named `rawValue`; use the static members.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// One process (spawned, or a supervisor's child).
        public static let process = Kind(rawValue: "process")
        /// A pool: a reference to it balances calls over its workers.
        public static let pool = Kind(rawValue: "pool")
        /// The kind's name.
        public var description: String { rawValue }
    }

    /// The service's name (``/TitanProcess/ProcessService/name``, or the name it was spawned by),
    /// what discovery matches — whatever name the process itself was given.
    public var name: String
    /// The version it registered with.
    public var version: SemanticVersion
    /// The process (or pool) id to resolve a reference with; stable across restarts.
    public var process: ProcessID
    /// A process or a pool.
    public var kind: Kind
    /// The OS process serving now; nil for a pool.
    public var pid: Int32?
    /// The mangled name of the service's type; nil for a service spawned by name.
    package var serviceType: String?
    /// Whether the manager introduces it to children that discover it.
    package var reachableByChildren = true

    /// `name@version (process)`.
    public var description: String { "\(name)@\(version) (\(process))" }
}

/// A change in the manager's registry, delivered by ``ProcessManager/registryChanges``.
public struct RegistryChange: Sendable, Hashable, CustomStringConvertible {
    /// Registered or unregistered.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The kind's name.
        public let rawValue: String
        /// The kind named `rawValue`; use the static members.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The service runs and can be discovered (again, after a restart: with its new pid).
        public static let registered = Kind(rawValue: "registered")
        /// The service stopped, crashed or is restarting: it cannot be reached for now.
        public static let unregistered = Kind(rawValue: "unregistered")
        /// The kind's name.
        public var description: String { rawValue }
    }

    /// Registered or unregistered.
    public var kind: Kind
    /// The registration concerned.
    public var registration: ServiceRegistration

    /// `registered greeter@1.2.0 (greeter-1)`.
    public var description: String { "\(kind) \(registration)" }
}
