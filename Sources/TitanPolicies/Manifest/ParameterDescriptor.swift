/// One parameter of a distributed method, as written in its declaration.
public struct ParameterDescriptor: Codable, Sendable, Hashable {
    /// The argument label callers write, or nil for `_`.
    public var label: String?
    /// The name the method's body uses.
    public var name: String
    /// The type as spelled in the declaration, without whitespace (`[String:Int]?`).
    public var type: String
    /// Whether the argument is a `RemoteStream`, which flows while the method runs.
    public var isStream: Bool

    /// Describes a parameter.
    public init(label: String?, name: String, type: String, isStream: Bool = false) {
        self.label = label
        self.name = name
        self.type = type
        self.isStream = isStream
    }
}
