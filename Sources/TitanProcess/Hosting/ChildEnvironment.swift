import Glibc
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanTransport
import TitanWire

/// What a parent tells the child it starts, through environment variables.
///
/// Only what is no secret travels here: the environment is readable in `/proc/<pid>/environ`.
/// The configuration, the child's secret and its listening socket's name go in the
/// ``ChildBootstrap`` the parent writes on the control socket (descriptor 3) right after the
/// launch; the child answers on the same socket once it is ready, and the socket then carries
/// the manager's calls. Control requests have a socketpair of their own (descriptor 4).
package struct ChildEnvironment: Sendable, Equatable {
    package static let roleKey = "TITAN_PM_ROLE"
    static let serviceTypeKey = "TITAN_PM_SERVICE_TYPE"
    static let serviceNameKey = "TITAN_PM_SERVICE_NAME"
    static let processIDKey = "TITAN_PM_PROCESS_ID"
    static let parentKey = "TITAN_PM_PARENT_PID"
    static let maxFrameKey = "TITAN_PM_MAX_FRAME"
    static let policiesKey = "TITAN_PM_POLICIES"
    static let telemetryKey = "TITAN_PM_TELEMETRY"
    static let logLevelKey = "TITAN_PM_LOG_LEVEL"
    static let stopTimeoutKey = "TITAN_PM_STOP_TIMEOUT_MS"
    /// The control socket — bootstrap, readiness, then the manager's calls — is always this
    /// descriptor in the child.
    package static let controlFD: Int32 = 3
    /// The control channel (stop, health, heartbeat, cancellation, metrics; see
    /// `ControlChannel`) is always this descriptor in the child.
    package static let controlChannelFD: Int32 = 4
    /// The pipe for the child's swift-log records, when ``ChildTelemetry/logRecords`` is set.
    package static let logFD: Int32 = 5

    /// The mangled name of the service type, when the parent has the type.
    package var serviceType: String?
    /// The service's registered name (``ProcessService/name``).
    package var serviceName: String
    package var processID: ProcessID
    package var parentPID: Int32
    package var maxFrameSize: Int
    /// Method policies given at spawn, by method key, encoded for the environment.
    private var encodedPolicies: String?
    /// What the child records for the parent.
    package var telemetry: ChildTelemetry
    /// The lowest level of swift-log records the child forwards (a `Logger.Level` raw value).
    package var logLevel: String?
    /// How long the parent lets a stop take before it escalates: the child's own SIGTERM path
    /// finishes within it too.
    package var stopTimeout: Duration = .seconds(5)

    package init(
        serviceType: String?, serviceName: String, processID: ProcessID, parentPID: Int32, maxFrameSize: Int,
        policies: [String: MethodPolicies] = [:], telemetry: ChildTelemetry = [], logLevel: String? = nil
    ) {
        self.serviceType = serviceType
        self.serviceName = serviceName
        self.processID = processID
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
            Self.parentKey: String(parentPID),
            Self.maxFrameKey: String(maxFrameSize),
            Self.stopTimeoutKey: String(stopTimeout.components.seconds * 1000 + stopTimeout.components.attoseconds / 1_000_000_000_000_000),
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
              let parent = value(parentKey).flatMap({ Int32($0) })
        else { return nil }
        var environment = ChildEnvironment(
            serviceType: value(serviceTypeKey),
            serviceName: name,
            processID: ProcessID(process),
            parentPID: parent,
            maxFrameSize: value(maxFrameKey).flatMap { Int($0) } ?? ProcessActorSystem.defaultMaxFrameSize,
            telemetry: ChildTelemetry(rawValue: value(telemetryKey).flatMap { UInt8($0) } ?? 0),
            logLevel: value(logLevelKey)
        ).with(stopTimeout: value(stopTimeoutKey).flatMap { Int64($0) }.map { .milliseconds($0) })
        environment.encodedPolicies = value(policiesKey)
        return environment
    }

    /// Removes the variables so that processes this child starts are not mistaken for children.
    package static func clear() {
        for key in [roleKey, serviceTypeKey, serviceNameKey, processIDKey, parentKey, maxFrameKey, policiesKey, telemetryKey, logLevelKey, stopTimeoutKey] {
            unsetenv(key)
        }
    }

    private func with(stopTimeout: Duration?) -> ChildEnvironment {
        var copy = self
        if let stopTimeout { copy.stopTimeout = stopTimeout }
        return copy
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
