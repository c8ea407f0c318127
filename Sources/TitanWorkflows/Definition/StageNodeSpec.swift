import Foundation

/// One step as the engine runs it: a stage, or one item of a `map` or dynamic stage. Results
/// are journal-encoded at this boundary, so a replayed result takes the same path as a live one.
struct StepSpec<W: Workflow>: Sendable {
    let name: String
    let body: @Sendable (StageContext<W>) async throws -> Data
    let compensate: (@Sendable (StageContext<W>, Data) async throws -> Void)?
}

/// A stage of a plan, with its dependencies resolved to node indices.
struct StageNodeSpec<W: Workflow>: Sendable {
    enum Work: Sendable {
        /// One step: the stage itself.
        case single(StepSpec<W>)
        /// Steps generated at run time (`map`, dynamic stages), at most `concurrency` at a
        /// time. `expand` gets the journaled expansion on resume (nil the first time) and
        /// returns the expansion to journal and the steps.
        case expand(concurrency: Int, expand: @Sendable (StageContext<W>, Data?) async throws -> (Data, [StepSpec<W>]))
    }

    let name: String
    let dependencies: [Int]
    /// Names of every stage this one depends on, directly or not.
    let visible: Set<String>
    let condition: (@Sendable (StageContext<W>) async throws -> Bool)?
    let retry: RetryPolicy
    let timeout: Duration?
    let work: Work
}
