/// A durable workflow: stages that depend on one another, run in parallel where they can, and
/// are undone in reverse order (saga compensation) when a later stage fails.
///
/// Adopt it on a type that holds what the stages call (spawned services, pool proxies, plain
/// values) and describe the stages in ``plan(_:)``:
///
/// ```swift
/// struct OrderProcessing: Workflow {
///     static let name = "order-processing"
///     static let version = "1.0.0"
///     let inventory: Inventory, payments: Payments, shipping: Shipping
///
///     func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<Shipment> {
///         let reserve = plan.stage("reserve") { ctx in
///             try await inventory.reserve(ctx.input.items, key: ctx.idempotencyKey)
///         } compensate: { _, reservation in
///             try await inventory.cancelReservation(reservation)
///         }
///         let payment = plan.stage("payment", after: reserve, retry: .attempts(3)) { ctx in
///             try await payments.charge(ctx.input.total, key: ctx.idempotencyKey)
///         } compensate: { _, charge in
///             try await payments.refund(charge)
///         }
///         return plan.stage("ship", after: payment) { ctx in
///             try await shipping.ship(ctx.input, key: ctx.idempotencyKey)
///         }
///     }
/// }
/// let orders = try await pm.workflow(OrderProcessing(...), journal: .sqlite(path: "/var/lib/app/runs.sqlite"))
/// let shipment = try await orders.run(order)
/// ```
///
/// Every stage's result is `Codable`: it is journaled when the stage completes, so that a run
/// interrupted by a crash resumes without running completed stages again (see
/// ``WorkflowRunner/resumeAll()``).
public protocol Workflow: Sendable {
    /// What a run starts from; journaled with the run.
    associatedtype Input: Codable & Sendable
    /// What a completed run returns: the result of the stage ``plan(_:)`` returns.
    associatedtype Output: Codable & Sendable
    /// State the stages share and may update (see ``StageContext/updateContext(_:)``);
    /// journaled with every completed stage.
    associatedtype Context: Codable & Sendable = NoContext

    /// The workflow's name in journals, events and errors; runs are resumed by name.
    static var name: String { get }
    /// The definition's version, recorded with each run. A run is resumed only by a definition
    /// of the same version (and the same stages): change it whenever the stages change.
    static var version: String { get }

    /// Describes the stages and returns the one whose result is the run's output.
    ///
    /// Called once when the workflow is registered (``WorkflowRunner`` keeps the plan); the
    /// stage bodies it captures run later, once per run.
    func plan(_ plan: inout WorkflowPlan<Self>) -> Stage<Output>

    /// The context a new run starts with.
    func initialContext(for input: Input) -> Context
}

extension Workflow where Context == NoContext {
    /// Runs of a workflow without a context start with ``NoContext``.
    public func initialContext(for input: Input) -> NoContext { NoContext() }
}

/// The context of a workflow whose stages share nothing but their results.
public struct NoContext: Codable, Sendable, Hashable {
    /// The empty context.
    public init() {}
}
