/// A service the manager knows, from ``AdminOperation/services``.
public struct ServiceRow: Codable, Sendable, Hashable {
    public var name: String
    public var version: String
    /// The Swift type (`MyApp.Calculator`), when the manager's executable links it.
    public var type: String?
    /// Running processes and pools of this service.
    public var instances: [String]
    /// Whether ``AdminOperation/spawn`` can start it by name.
    public var spawnable: Bool

    public init(name: String, version: String, type: String?, instances: [String], spawnable: Bool) {
        self.name = name
        self.version = version
        self.type = type
        self.instances = instances
        self.spawnable = spawnable
    }
}

/// One parameter of a method.
public struct ParameterInfo: Codable, Sendable, Hashable {
    /// The argument label, nil for `_`.
    public var label: String?
    /// The type as Swift spells it (`Int`, `[String]`, `MyApp.Point`).
    public var type: String

    public init(label: String?, type: String) {
        self.label = label
        self.type = type
    }
}

/// One `distributed func` of a service.
public struct MethodInfo: Codable, Sendable, Hashable {
    /// The Swift name with labels (`divide(_:by:)`): what ``AdminRequest/method`` takes.
    public var name: String
    public var parameters: [ParameterInfo]
    /// The result type (`()` for none).
    public var result: String
    /// Whether ``AdminOperation/invoke`` can call it with JSON arguments.
    public var invocable: Bool
    /// Why not, when it cannot.
    public var note: String?

    public init(name: String, parameters: [ParameterInfo], result: String, invocable: Bool, note: String?) {
        self.name = name
        self.parameters = parameters
        self.result = result
        self.invocable = invocable
        self.note = note
    }

    /// `divide(_ a: Int, by b: Int) -> Int` without the parameter names: `divide(Int, by: Int) -> Int`.
    public var signature: String {
        let base = name.prefix { $0 != "(" }
        let parameters = parameters.map { ($0.label.map { "\($0): " } ?? "") + $0.type }.joined(separator: ", ")
        return "\(base)(\(parameters)) -> \(result)"
    }
}

/// A service's methods, from ``AdminOperation/service``.
public struct ServiceDescription: Codable, Sendable, Hashable {
    public var name: String
    public var version: String
    public var type: String?
    public var instances: [String]
    public var methods: [MethodInfo]
    /// Where the method list comes from: `"runtime"` (the Swift runtime's table of
    /// distributed functions in the manager's executable) or `"none"`.
    public var methodsSource: String
    /// What the list can and cannot say.
    public var note: String?

    public init(name: String, version: String, type: String?, instances: [String], methods: [MethodInfo], methodsSource: String, note: String?) {
        self.name = name
        self.version = version
        self.type = type
        self.instances = instances
        self.methods = methods
        self.methodsSource = methodsSource
        self.note = note
    }
}
