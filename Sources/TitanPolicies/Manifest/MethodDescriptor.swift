/// One `distributed func` of a service: its signature, and the policies declared on it.
public struct MethodDescriptor: Codable, Sendable, Hashable {
    /// The base name (`add`).
    public var name: String
    /// The parameters in order.
    public var parameters: [ParameterDescriptor]
    /// The result type as spelled, or `()` for none.
    public var resultType: String
    /// Whether the result is a `RemoteStream`.
    public var returnsStream: Bool
    /// Whether the generated dispatch table can run this method. Generic and variadic
    /// methods cannot be called without the runtime's type information, so the runtime runs
    /// them through `executeDistributedTarget` instead.
    public var isTableDispatched: Bool
    /// The policies declared on the method with attributes.
    public var policies: MethodPolicies

    /// Describes a method.
    public init(
        name: String,
        parameters: [ParameterDescriptor] = [],
        resultType: String = "()",
        returnsStream: Bool = false,
        isTableDispatched: Bool = true,
        policies: MethodPolicies = MethodPolicies()
    ) {
        self.name = name
        self.parameters = parameters
        self.resultType = resultType
        self.returnsStream = returnsStream
        self.isTableDispatched = isTableDispatched
        self.policies = policies
    }

    /// The Swift name with argument labels, `add(_:_:)`: what the dispatch table and policy
    /// errors call the method.
    public var key: String {
        name + "(" + parameters.map { ($0.label ?? "_") + ":" }.joined() + ")"
    }

    /// The parameter types in order.
    public var parameterTypes: [String] { parameters.map(\.type) }

    /// Whether an argument or the result is a `RemoteStream`.
    public var isStreaming: Bool { returnsStream || parameters.contains(where: \.isStream) }

    /// The method's line in ``ServiceManifest/canonicalInterfaceText``:
    /// `add(_:_:)(Int,Int)->Int`. Policies are not part of it (see ``ServiceManifest``).
    public var canonicalSignature: String {
        key + "(" + parameterTypes.map(TypeText.normalized).joined(separator: ",") + ")->" + TypeText.normalized(resultType)
    }
}
