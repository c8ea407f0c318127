import Foundation

/// A workflow's plan, checked and ready to run: what ``WorkflowRunner`` keeps.
struct CompiledPlan<W: Workflow>: Sendable {
    let workflow: W
    let nodes: [StageNodeSpec<W>]
    /// The stage whose result is the run's output.
    let output: String
    /// The stages' names and dependencies, journaled with each run to catch a changed
    /// definition whose version was not changed.
    let fingerprint: String

    /// Runs the workflow's ``Workflow/plan(_:)``; throws ``WorkflowError/Code/invalidDefinition``
    /// listing every problem found.
    init(_ workflow: W) throws {
        var plan = WorkflowPlan<W>()
        let output = workflow.plan(&plan)
        var problems = plan.problems
        if W.name.isEmpty { problems.append("the workflow's name is empty") }
        if plan.nodes.isEmpty { problems.append("the plan has no stages") }
        if output.planID != plan.id || !plan.nodes.indices.contains(output.index) {
            problems.append("plan(_:) returned stage \(output.name), which is not a stage of this plan")
        }
        guard problems.isEmpty else {
            throw WorkflowError(.invalidDefinition, "workflow \(W.name) \(W.version) is not valid: " + problems.joined(separator: "; "))
        }
        self.workflow = workflow
        nodes = plan.nodes
        self.output = output.name
        fingerprint = plan.nodes.map { node in
            let kind = switch node.work {
            case .single: ""
            case .expand: "*"
            }
            return node.name + kind + "<" + node.dependencies.map { plan.nodes[$0].name }.joined(separator: ",")
        }.joined(separator: ";") + "=>" + output.name
    }

    /// Throws ``WorkflowError/Code/incompatibleDefinition`` unless `record` was started by
    /// this version of this workflow with these stages.
    func checkCompatible(_ record: WorkflowRunRecord) throws {
        guard record.workflow == W.name else {
            throw WorkflowError(
                .incompatibleDefinition,
                "run \(record.id) belongs to workflow \(record.workflow), not \(W.name)",
                runID: record.id
            )
        }
        guard record.version == W.version else {
            throw WorkflowError(
                .incompatibleDefinition,
                "run \(record.id) was started by \(W.name) version \(record.version) and cannot be resumed by version \(W.version): finish it with a build of version \(record.version) (its stages may differ), then upgrade",
                runID: record.id
            )
        }
        guard record.fingerprint == fingerprint else {
            throw WorkflowError(
                .incompatibleDefinition,
                "run \(record.id) was started by \(W.name) \(W.version) with other stages (\(record.fingerprint)) than this definition's (\(fingerprint)): give a changed definition a new version",
                runID: record.id
            )
        }
    }

    /// The node that runs `step`, a stage name or a generated step's name (`stage[i]`, `stage/x`).
    func node(forStep step: String) -> StageNodeSpec<W>? {
        let stage = step.prefix { $0 != "[" && $0 != "/" }
        return nodes.first { $0.name == stage }
    }
}
