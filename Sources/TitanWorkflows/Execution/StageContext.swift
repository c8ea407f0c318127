/// What a stage body, a condition or a compensation is given: the run's input, the results of
/// the stages it depends on, the shared context, and the idempotency key of this step.
///
/// ```swift
/// let ship = plan.stage("ship", after: payment, inventory) { ctx in
///     let charge = try ctx.result(of: payment)
///     return try await shipping.ship(ctx.input, paidWith: charge.id, key: ctx.idempotencyKey)
/// }
/// ```
public struct StageContext<W: Workflow>: Sendable {
    /// The run this step belongs to.
    public let runID: WorkflowRunID
    /// The step's name: the stage's, or for an item of a `map` or dynamic stage, the item's.
    public let stage: String
    /// The attempt, counting from 1 (0 for a condition).
    public let attempt: Int
    /// The same for every attempt of this step, in this process and after a restart: pass it
    /// to the services the step calls, so that a step re-run after a crash takes effect once.
    /// A compensation has its own key.
    public let idempotencyKey: String
    let state: RunState<W>
    /// The stages whose results this step may read: those it depends on, directly or not.
    let visible: Set<String>
    let engine: WorkflowEngine

    /// The run's input.
    public var input: W.Input { state.input }

    /// The shared context as it is now.
    public var context: W.Context { state.context }

    /// Changes the shared context. Stages running in parallel see each other's changes; the
    /// context is journaled with each completed stage, and a stage re-run after a crash applies
    /// its changes again, so prefer setting values to accumulating them.
    public func updateContext(_ body: (inout W.Context) -> Void) {
        state.updateContext(body)
    }

    /// The result of `stage`, which must be among this step's dependencies (directly or not).
    ///
    /// Throws ``WorkflowError/Code/resultUnavailable`` if it is not a dependency or it was
    /// skipped (see ``resultIfRan(of:)``), ``WorkflowError/Code/encodingFailed`` if the journaled
    /// result no longer decodes.
    public func result<T>(of stage: Stage<T>) throws -> T {
        guard let value = try resultIfRan(of: stage) else {
            throw WorkflowError(.resultUnavailable, "stage \(stage.name) was skipped: it has no result (use resultIfRan(of:))", runID: runID, stage: self.stage)
        }
        return value
    }

    /// The result of `stage`, or nil if its condition skipped it.
    ///
    /// Throws ``WorkflowError/Code/resultUnavailable`` if `stage` is not among this step's
    /// dependencies: its result might not exist yet.
    public func resultIfRan<T>(of stage: Stage<T>) throws -> T? {
        guard visible.contains(stage.name) else {
            throw WorkflowError(
                .resultUnavailable,
                "stage \(stage.name) is not a dependency of \(self.stage): add it to `after:` to read its result",
                runID: runID, stage: self.stage
            )
        }
        if state.wasSkipped(stage.name) { return nil }
        guard let data = state.result(of: stage.name) else {
            throw WorkflowError(.resultUnavailable, "stage \(stage.name) has not completed", runID: runID, stage: self.stage)
        }
        return try JournalCoding.decode(T.self, from: data)
    }

    /// Whether `stage` was skipped because its condition was false.
    public func wasSkipped(_ stage: some StageReference) -> Bool {
        state.wasSkipped(stage.name)
    }

    func with(stage: String, attempt: Int, key: String, visible: Set<String>? = nil) -> StageContext {
        StageContext(runID: runID, stage: stage, attempt: attempt, idempotencyKey: key, state: state, visible: visible ?? self.visible, engine: engine)
    }
}
