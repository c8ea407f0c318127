import Glibc
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanTransport
import TitanWire

/// What a parent tells the child it starts, through environment variables.
///
/// The configuration does not travel here (it can be large and binary): the parent writes it
/// on the control socket right after the launch, and the child answers on the same socket
/// once it is ready to take calls.
package struct ChildEnvironment: Sendable, Equatable {
    package static let roleKey = "TITAN_PM_ROLE"
    static let serviceTypeKey = "TITAN_PM_SERVICE_TYPE"
    static let serviceNameKey = "TITAN_PM_SERVICE_NAME"
    static let processIDKey = "TITAN_PM_PROCESS_ID"
    static let socketKey = "TITAN_PM_SOCKET"
    static let parentKey = "TITAN_PM_PARENT_PID"
    static let maxFrameKey = "TITAN_PM_MAX_FRAME"
    static let policiesKey = "TITAN_PM_POLICIES"
    static let telemetryKey = "TITAN_PM_TELEMETRY"
    static let logLevelKey = "TITAN_PM_LOG_LEVEL"
    /// The control socket is always this descriptor in the child.
    package static let controlFD: Int32 = 3
    /// The pipe for the child's swift-log records, when ``ChildTelemetry/logRecords`` is set.
    package static let logFD: Int32 = 4

    /// The mangled name of the service type, when the parent has the type.
    package var serviceType: String?
    /// The service's registered name (``ProcessService/name``).
    package var serviceName: String
    package var processID: ProcessID
    package var socketPath: String
    package var parentPID: Int32
    package var maxFrameSize: Int
    /// Method policies given at spawn, by method key, encoded for the environment.
    private var encodedPolicies: String?
    /// What the child records for the parent.
    package var telemetry: ChildTelemetry
    /// The lowest level of swift-log records the child forwards (a `Logger.Level` raw value).
    package var logLevel: String?

    package init(
        serviceType: String?, serviceName: String, processID: ProcessID, socketPath: String, parentPID: Int32, maxFrameSize: Int,
        policies: [String: MethodPolicies] = [:], telemetry: ChildTelemetry = [], logLevel: String? = nil
    ) {
        self.serviceType = serviceType
        self.serviceName = serviceName
        self.processID = processID
        self.socketPath = socketPath
        self.parentPID = parentPID
        self.maxFrameSize = maxFrameSize
        encodedPolicies = policies.isEmpty ? nil : (try? WireEncoder().encode(policies)).map(Hex.encode)
        self.telemetry = telemetry
        self.logLevel = logLevel
    }

    /// Method policies given at spawn, by method key.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/configurationFailed`` if they do not decode (a parent of
    /// another version started this child).
    package func policies() throws -> [String: MethodPolicies] {
        guard let encodedPolicies else { return [:] }
        guard let bytes = Hex.decode(encodedPolicies), let policies = try? WireDecoder().decode([String: MethodPolicies].self, from: bytes) else {
            throw ProcessError(.configurationFailed, "the method policies given at spawn do not decode")
        }
        return policies
    }

    /// The variables to add to the child's environment.
    package var variables: [String: String] {
        var variables = [
            Self.roleKey: "child",
            Self.serviceNameKey: serviceName,
            Self.processIDKey: processID.rawValue,
            Self.socketKey: socketPath,
            Self.parentKey: String(parentPID),
            Self.maxFrameKey: String(maxFrameSize),
        ]
        variables[Self.serviceTypeKey] = serviceType
        variables[Self.policiesKey] = encodedPolicies
        if !telemetry.isEmpty { variables[Self.telemetryKey] = String(telemetry.rawValue) }
        variables[Self.logLevelKey] = logLevel
        return variables
    }

    /// Whether this process was started by a ProcessManager to host a service.
    package static var isChild: Bool { getenv(roleKey) != nil }

    /// Reads this process's environment; nil when it is not a Titan child or a variable is missing.
    package static func current() -> ChildEnvironment? {
        func value(_ key: String) -> String? { getenv(key).map { String(cString: $0) } }
        guard value(roleKey) == "child",
              let name = value(serviceNameKey),
              let process = value(processIDKey),
              let socket = value(socketKey),
              let parent = value(parentKey).flatMap({ Int32($0) })
        else { return nil }
        var environment = ChildEnvironment(
            serviceType: value(serviceTypeKey),
            serviceName: name,
            processID: ProcessID(process),
            socketPath: socket,
            parentPID: parent,
            maxFrameSize: value(maxFrameKey).flatMap { Int($0) } ?? ProcessActorSystem.defaultMaxFrameSize,
            telemetry: ChildTelemetry(rawValue: value(telemetryKey).flatMap { UInt8($0) } ?? 0),
            logLevel: value(logLevelKey)
        )
        environment.encodedPolicies = value(policiesKey)
        return environment
    }

    /// Removes the variables so that processes this child starts are not mistaken for children.
    package static func clear() {
        for key in [roleKey, serviceTypeKey, serviceNameKey, processIDKey, socketKey, parentKey, maxFrameKey, policiesKey, telemetryKey, logLevelKey] {
            unsetenv(key)
        }
    }
}

/// What a child records and sends to its parent.
package struct ChildTelemetry: OptionSet, Sendable, Hashable {
    package let rawValue: UInt8

    package init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Per-call metrics into a registry the parent pulls; the registry is also the child's
    /// `MetricsSystem` backend unless the program bootstrapped one.
    package static let metrics = ChildTelemetry(rawValue: 1)
    /// Spans for calls and streams through the program's tracer.
    package static let tracing = ChildTelemetry(rawValue: 2)
    /// swift-log records go to the parent on ``ChildEnvironment/logFD``.
    package static let logRecords = ChildTelemetry(rawValue: 4)
}
