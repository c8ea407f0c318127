/// A step a dynamic stage generates at run time (see ``WorkflowPlan/dynamic(_:after:when:concurrency:retry:timeout:generate:)``).
public struct DynamicStage<W: Workflow, Output: Codable & Sendable>: Sendable {
    /// Unique among the steps one generation returns.
    public let name: String
    let body: @Sendable (StageContext<W>) async throws -> Output
    let compensate: (@Sendable (StageContext<W>, Output) async throws -> Void)?

    /// A generated step named `name` that runs `body`, compensated by `compensate`.
    public init(
        _ name: String,
        _ body: @escaping @Sendable (StageContext<W>) async throws -> Output,
        compensate: (@Sendable (StageContext<W>, Output) async throws -> Void)? = nil
    ) {
        self.name = name
        self.body = body
        self.compensate = compensate
    }
}
