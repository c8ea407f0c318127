/// A stage of a ``WorkflowPlan``, typed by its result.
///
/// Returned by ``WorkflowPlan/stage(_:after:when:retry:timeout:body:compensate:)->Stage<T>`` and the other
/// stage builders. Pass it to a later stage's `after:` to make that stage wait for this one,
/// and read its result there with ``StageContext/result(of:)``. Because a stage can only name
/// stages declared before it, every plan is acyclic.
public struct Stage<Output: Codable & Sendable>: StageReference, Hashable {
    /// The stage's name, unique within its workflow.
    public let name: String
    let index: Int
    let planID: PlanID
}

/// Any stage, whatever its result type: what `after:` takes.
///
/// Only the ``Stage`` values a ``WorkflowPlan`` returns are accepted; a plan reports any other
/// conforming value as ``WorkflowError/Code/invalidDefinition``.
public protocol StageReference: Sendable {
    /// The stage's name, unique within its workflow.
    var name: String { get }
}

/// What a plan needs to find a stage handle's node and to know the handle is its own.
protocol PlannedStage {
    var index: Int { get }
    var planID: PlanID { get }
}

extension Stage: PlannedStage {}

/// Identifies one ``WorkflowPlan``, so a stage handle from another plan is caught.
struct PlanID: Sendable, Hashable {
    let value: UInt64
}
