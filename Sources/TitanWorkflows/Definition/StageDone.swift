/// The result of a stage whose body returns nothing.
public struct StageDone: Codable, Sendable, Hashable {
    /// The one value.
    public init() {}
}
