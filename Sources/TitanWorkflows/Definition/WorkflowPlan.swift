import Foundation
import Synchronization

/// The stages of a ``Workflow``, described in ``Workflow/plan(_:)``.
///
/// Each builder adds a stage and returns its typed handle. A stage runs once every stage in its
/// `after:` list has completed or been skipped; stages whose dependencies are done run in
/// parallel. Mistakes (a duplicate name, a handle from another plan) are collected and reported
/// as ``WorkflowError/Code/invalidDefinition`` when the workflow is registered.
public struct WorkflowPlan<W: Workflow>: Sendable {
    let id: PlanID
    private(set) var nodes: [StageNodeSpec<W>] = []
    private(set) var problems: [String] = []

    init() {
        id = PlanID(value: planCounter.withLock { value in
            value += 1
            return value
        })
    }

    // MARK: Stages

    /// Adds a stage that runs `body` once its dependencies are done.
    ///
    /// - Parameters:
    ///   - name: Unique within the workflow; names the stage in the journal and in events.
    ///   - after: The stages that must complete (or be skipped) first.
    ///   - when: Evaluated once the dependencies are done; when false the stage is skipped
    ///     (journaled, and its dependents see ``StageContext/wasSkipped(_:)``).
    ///   - retry: Attempts and backoff (see ``RetryPolicy``).
    ///   - timeout: Bounds each attempt; a late attempt fails with ``WorkflowError/Code/stageTimedOut``.
    ///   - body: The stage's work; its result is journaled.
    ///   - compensate: Undoes the stage's effect, given its result, when a later stage fails or
    ///     the run is cancelled.
    public mutating func stage<T: Codable & Sendable>(
        _ name: String,
        after: any StageReference...,
        when: (@Sendable (StageContext<W>) async throws -> Bool)? = nil,
        retry: RetryPolicy = .none,
        timeout: Duration? = nil,
        body: @escaping @Sendable (StageContext<W>) async throws -> T,
        compensate: (@Sendable (StageContext<W>, T) async throws -> Void)? = nil
    ) -> Stage<T> {
        let step = StepSpec<W>(name: name, body: { ctx in try JournalCoding.encode(try await body(ctx)) }, compensate: Self.decoding(compensate))
        return add(name, after: after, when: when, retry: retry, timeout: timeout, work: .single(step))
    }

    /// Adds a stage whose body returns nothing (its result is ``StageDone``).
    ///
    /// Parameters as for ``stage(_:after:when:retry:timeout:body:compensate:)``.
    @discardableResult
    public mutating func stage(
        _ name: String,
        after: any StageReference...,
        when: (@Sendable (StageContext<W>) async throws -> Bool)? = nil,
        retry: RetryPolicy = .none,
        timeout: Duration? = nil,
        body: @escaping @Sendable (StageContext<W>) async throws -> Void,
        compensate: (@Sendable (StageContext<W>) async throws -> Void)? = nil
    ) -> Stage<StageDone> {
        let step = StepSpec<W>(
            name: name,
            body: { ctx in
                try await body(ctx)
                return try JournalCoding.encode(StageDone())
            },
            compensate: Self.decoding(compensate.map { compensate in
                { @Sendable (ctx: StageContext<W>, _: StageDone) async throws in try await compensate(ctx) }
            })
        )
        return add(name, after: after, when: when, retry: retry, timeout: timeout, work: .single(step))
    }

    /// Adds a stage that runs `body` for every element `items` returns, at most `concurrency`
    /// at a time, and whose result is the array of their results in the elements' order.
    ///
    /// Each element is a step of its own (named `name[index]`) with its own idempotency key,
    /// retries, journal entries and compensation: after a crash only the unfinished ones run.
    /// The elements are journaled when the stage begins, so `items` runs once per run.
    public mutating func map<Element: Codable & Sendable, T: Codable & Sendable>(
        _ name: String,
        after: any StageReference...,
        when: (@Sendable (StageContext<W>) async throws -> Bool)? = nil,
        over items: @escaping @Sendable (StageContext<W>) async throws -> [Element],
        concurrency: Int,
        retry: RetryPolicy = .none,
        timeout: Duration? = nil,
        body: @escaping @Sendable (StageContext<W>, Element) async throws -> T,
        compensate: (@Sendable (StageContext<W>, Element, T) async throws -> Void)? = nil
    ) -> Stage<[T]> {
        if concurrency < 1 { problems.append("map stage \(name) has concurrency \(concurrency); it must be at least 1") }
        let expand: @Sendable (StageContext<W>, Data?) async throws -> (Data, [StepSpec<W>]) = { ctx, journaled in
            let elements: [Element]
            if let journaled {
                elements = try JournalCoding.decode([Element].self, from: journaled)
            } else {
                elements = try await items(ctx)
            }
            let steps = elements.enumerated().map { index, element -> StepSpec<W> in
                let compensateItem: (@Sendable (StageContext<W>, T) async throws -> Void)? = compensate.map { compensate in
                    { @Sendable (ctx: StageContext<W>, result: T) async throws in try await compensate(ctx, element, result) }
                }
                return StepSpec<W>(
                    name: "\(name)[\(index)]",
                    body: { ctx in try JournalCoding.encode(try await body(ctx, element)) },
                    compensate: Self.decoding(compensateItem)
                )
            }
            return (try journaled ?? JournalCoding.encode(elements), steps)
        }
        return add(name, after: after, when: when, retry: retry, timeout: timeout, work: .expand(concurrency: max(concurrency, 1), expand: expand))
    }

    /// Adds a stage whose steps are generated at run time, typically from an earlier stage's
    /// result; its result is the array of their results in the generated order.
    ///
    /// The generated names are journaled; after a crash `generate` runs again with the same
    /// journaled inputs and must produce the same names, or the run stops with
    /// ``WorkflowError/Code/nondeterministicPlan``. Steps are named `name/<generated name>`.
    public mutating func dynamic<T: Codable & Sendable>(
        _ name: String,
        after: any StageReference...,
        when: (@Sendable (StageContext<W>) async throws -> Bool)? = nil,
        concurrency: Int = .max,
        retry: RetryPolicy = .none,
        timeout: Duration? = nil,
        generate: @escaping @Sendable (StageContext<W>) async throws -> [DynamicStage<W, T>]
    ) -> Stage<[T]> {
        if concurrency < 1 { problems.append("dynamic stage \(name) has concurrency \(concurrency); it must be at least 1") }
        let expand: @Sendable (StageContext<W>, Data?) async throws -> (Data, [StepSpec<W>]) = { ctx, journaled in
            let generated = try await generate(ctx)
            let names = generated.map(\.name)
            if Set(names).count != names.count {
                throw WorkflowError(.invalidDefinition, "dynamic stage \(name) generated duplicate names \(names)", runID: ctx.runID, stage: name)
            }
            if let journaled, try JournalCoding.decode([String].self, from: journaled) != names {
                throw WorkflowError(
                    .nondeterministicPlan,
                    "dynamic stage \(name) generated \(names) on resume, not the journaled stages; generate must depend only on journaled results",
                    runID: ctx.runID, stage: name
                )
            }
            let steps = generated.map { stage in
                StepSpec<W>(
                    name: "\(name)/\(stage.name)",
                    body: { ctx in try JournalCoding.encode(try await stage.body(ctx)) },
                    compensate: Self.decoding(stage.compensate)
                )
            }
            return (try JournalCoding.encode(names), steps)
        }
        return add(name, after: after, when: when, retry: retry, timeout: timeout, work: .expand(concurrency: max(concurrency, 1), expand: expand))
    }

    /// Adds a stage that runs `workflow` as a sub-workflow with the input `input` returns; its
    /// result is the sub-workflow's output.
    ///
    /// The sub-workflow's run is journaled as `<run id>/<name>` with its own stages, events and
    /// compensation: if it fails, it compensates its own stages before this stage fails. After a
    /// crash it resumes with the parent.
    public mutating func subworkflow<Child: Workflow>(
        _ name: String,
        run workflow: Child,
        after: any StageReference...,
        when: (@Sendable (StageContext<W>) async throws -> Bool)? = nil,
        input: @escaping @Sendable (StageContext<W>) async throws -> Child.Input,
        compensate: (@Sendable (StageContext<W>, Child.Output) async throws -> Void)? = nil
    ) -> Stage<Child.Output> {
        let child: CompiledPlan<Child>
        do {
            child = try CompiledPlan(workflow)
        } catch {
            problems.append("sub-workflow \(name): \(error)")
            return Stage(name: name, index: -1, planID: id)
        }
        let step = StepSpec<W>(
            name: name,
            body: { ctx in
                let output = try await ctx.engine.runSubworkflow(child, input: try await input(ctx), id: ctx.runID.child(name))
                return try JournalCoding.encode(output)
            },
            compensate: Self.decoding(compensate)
        )
        return add(name, after: after, when: when, retry: .none, timeout: nil, work: .single(step))
    }

    // MARK: Building

    private mutating func add<T>(
        _ name: String,
        after: [any StageReference],
        when: (@Sendable (StageContext<W>) async throws -> Bool)?,
        retry: RetryPolicy,
        timeout: Duration?,
        work: StageNodeSpec<W>.Work
    ) -> Stage<T> {
        if name.isEmpty || name.contains("/") || name.contains("[") {
            problems.append("stage name \"\(name)\" is empty or contains / or [, which name generated steps")
        }
        if nodes.contains(where: { $0.name == name }) {
            problems.append("two stages are named \(name)")
        }
        if let timeout, timeout <= .zero {
            problems.append("stage \(name) has timeout \(timeout); it must be positive")
        }
        var dependencies: [Int] = []
        var visible: Set<String> = []
        for reference in after {
            guard let planned = reference as? PlannedStage, planned.planID == id, nodes.indices.contains(planned.index) else {
                problems.append("stage \(name) depends on \(reference.name), which is not a stage of this plan")
                continue
            }
            dependencies.append(planned.index)
            visible.insert(nodes[planned.index].name)
            visible.formUnion(nodes[planned.index].visible)
        }
        nodes.append(StageNodeSpec(
            name: name, dependencies: dependencies, visible: visible, condition: when,
            retry: retry, timeout: timeout, work: work
        ))
        return Stage(name: name, index: nodes.count - 1, planID: id)
    }

    /// A compensation of a typed result as the engine calls it, with the journaled result.
    private static func decoding<T: Decodable & Sendable>(
        _ compensate: (@Sendable (StageContext<W>, T) async throws -> Void)?
    ) -> (@Sendable (StageContext<W>, Data) async throws -> Void)? {
        guard let compensate else { return nil }
        return { ctx, data in try await compensate(ctx, try JournalCoding.decode(T.self, from: data)) }
    }
}

/// Numbers the plans, so a stage handle from another plan is recognised.
private let planCounter = Mutex<UInt64>(0)
