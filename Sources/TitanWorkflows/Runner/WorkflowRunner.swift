import Foundation
import Synchronization
import TitanPM

/// Runs one ``Workflow``: starts runs, resumes the ones a crash interrupted, reports their
/// status and events, and cancels them. Made by ``TitanPM/ProcessManager/workflow(_:journal:options:)``.
///
/// ```swift
/// let orders = try await pm.workflow(OrderProcessing(...), journalPath: "/var/lib/app/runs.sqlite")
/// let shipment = try await orders.run(order)                // waits for the end
/// let id = try await orders.start(order)                    // returns at once
/// try await orders.cancel(id)                               // compensates what completed
/// ```
public final class WorkflowRunner<W: Workflow>: Sendable {
    private struct ActiveRun {
        let task: Task<W.Output, any Error>
        let cancellation: CancellationSignal
    }

    /// The workflow this runner runs.
    public var workflow: W { plan.workflow }
    private let plan: CompiledPlan<W>
    private let engine: WorkflowEngine
    private let active = Mutex<[WorkflowRunID: ActiveRun]>([:])

    /// A runner of `workflow` on `journal`; prefer ``TitanPM/ProcessManager/workflow(_:journal:options:)``.
    ///
    /// Throws ``WorkflowError/Code/invalidDefinition`` if the plan is malformed.
    public init(_ workflow: W, journal: any WorkflowJournal, options: WorkflowOptions = WorkflowOptions()) throws {
        plan = try CompiledPlan(workflow)
        engine = WorkflowEngine(
            journal: journal, events: Broadcast(), clock: options.clock,
            compensationRetry: options.compensationRetry, suspension: CancellationSignal()
        )
    }

    /// What happens in this runner's runs (sub-workflows included), from the moment of the
    /// call. Each access returns a new, independent stream.
    public var events: AsyncStream<WorkflowEvent> {
        engine.events.subscribe()
    }

    /// Runs the workflow on `input` and returns its output.
    ///
    /// Cancelling the calling task cancels the run (see ``cancel(_:)``). Throws
    /// ``WorkflowError`` with code ``WorkflowError/Code/stageFailed`` (the failure and every
    /// compensation's outcome inside) or ``WorkflowError/Code/cancelled``.
    public func run(_ input: W.Input, id: WorkflowRunID = .random()) async throws -> W.Output {
        guard let run = try await begin(input, id: id) else { return try await result(of: id) }
        return try await withTaskCancellationHandler {
            try await run.task.value
        } onCancel: {
            run.cancellation.cancel()
        }
    }

    /// Journals a new run on `input` and starts it; returns its id at once.
    ///
    /// With the id of a run the journal has already, nothing new starts: an unfinished run that
    /// is not running in this process is resumed, and the id is returned. So a caller can use a
    /// business key (an order number) as the id to start each piece of work once.
    ///
    /// Throws ``WorkflowError/Code/invalidRunID`` for an empty id or one with a `/` (reserved
    /// for sub-workflow runs).
    @discardableResult
    public func start(_ input: W.Input, id: WorkflowRunID = .random()) async throws -> WorkflowRunID {
        _ = try await begin(input, id: id)
        return id
    }

    /// Journals (or finds) run `id` and launches it if it is unfinished; the running run, or
    /// nil if it has ended.
    private func begin(_ input: W.Input, id: WorkflowRunID) async throws -> ActiveRun? {
        guard !id.rawValue.isEmpty, !id.isSubworkflowRun else {
            throw WorkflowError(.invalidRunID, "run id \"\(id)\" is empty or contains /, which names sub-workflow runs", runID: id)
        }
        if engine.suspension.isCancelled { throw engine.suspended(id) }
        let (record, _) = try await engine.createRun(plan, input: input, id: id)
        guard record.status.isUnfinished else { return nil }
        return launch(record)
    }

    /// Waits for run `id` to end and returns its output, or throws how it ended.
    ///
    /// For a run that ended before (in this process or an earlier one) it answers from the
    /// journal. Throws ``WorkflowError/Code/unknownRun`` if the journal has no such run of this
    /// workflow.
    public func result(of id: WorkflowRunID) async throws -> W.Output {
        if let run = active.withLock({ $0[id] }) {
            return try await run.task.value
        }
        let record = try await record(id)
        func ended(_ code: WorkflowError.Code, _ message: String) async throws -> WorkflowError {
            let replay = try JournalReplay(try await engine.entries(of: id))
            return WorkflowError(code, message, runID: id, stage: replay.failedStage, failure: record.failure, compensations: replay.compensations)
        }
        switch record.status {
        case .completed:
            guard let output = record.output else {
                throw WorkflowError(.journalFailure, "run \(id) completed without a journaled output", runID: id)
            }
            return try JournalCoding.decode(W.Output.self, from: output)
        case .failed, .compensationFailed:
            throw try await ended(.stageFailed, "run \(id) failed (\(record.failure?.description ?? "no failure journaled")) and was compensated (\(record.status))")
        case .cancelled:
            throw try await ended(.cancelled, "run \(id) was cancelled and compensated")
        case .running, .compensating:
            throw WorkflowError(.unknownRun, "run \(id) is unfinished but not running in this process: call resumeAll() to resume it", runID: id)
        }
    }

    /// The journaled state of run `id`; throws ``WorkflowError/Code/unknownRun`` if there is none.
    public func status(of id: WorkflowRunID) async throws -> WorkflowRunSummary {
        try await record(id).summary
    }

    /// The journal's runs of this workflow with `status` (all when nil), oldest first.
    public func runs(status: WorkflowRunStatus? = nil) async throws -> [WorkflowRunSummary] {
        do {
            return try await engine.journal.runs(workflow: W.name, status: status).map(\.summary)
        } catch {
            throw WorkflowError(.journalFailure, "cannot list the runs of \(W.name): \(error)", underlying: error)
        }
    }

    /// Cancels run `id`: its running stages are cancelled, no new ones start, and the completed
    /// ones are compensated in reverse order; the run ends ``WorkflowRunStatus/cancelled``.
    /// Returns once the cancellation is requested (``result(of:)`` waits for the end).
    ///
    /// A run interrupted by a crash is marked cancelled in the journal and resumed, which
    /// compensates it. A finished run is left alone. Throws ``WorkflowError/Code/unknownRun``
    /// if the journal has no such run.
    public func cancel(_ id: WorkflowRunID) async throws {
        if let run = active.withLock({ $0[id] }) {
            run.cancellation.cancel()
            return
        }
        let record = try await record(id)
        guard record.status == .running else {
            if record.status == .compensating { _ = launch(record) }
            return
        }
        let failure = WorkflowFailure(type: "WorkflowError.cancelled", message: "the run was cancelled")
        try await engine.append(.cancelRequested, to: id, update: WorkflowRunUpdate(status: .compensating, failure: failure))
        var updated = record
        updated.status = .compensating
        _ = launch(updated)
    }

    /// Stops every run of this runner where it stands, without compensating, and waits until
    /// they have stopped: running stages are cancelled and each run stays unfinished in the
    /// journal, so the next ``resumeAll()`` (typically in the next start of the program)
    /// continues it. Call it before ``/TitanPM/ProcessManager/shutdown(timeout:)``, so that runs whose
    /// services are going away are not failed and compensated. The runner starts no runs
    /// afterwards (``WorkflowError/Code/suspended``).
    public func suspend() async {
        engine.suspension.cancel()
        let runs = active.withLock { Array($0.values) }
        for run in runs { run.cancellation.cancel() }
        for run in runs { _ = try? await run.task.value }
    }

    /// Resumes every unfinished run of this workflow in the journal that is not running here:
    /// completed stages are not run again (their journaled results are used), a stage that was
    /// in flight runs again with the same idempotency key, and a run that was compensating
    /// finishes its compensations. Returns the ids of the runs resumed.
    ///
    /// Throws ``WorkflowError/Code/incompatibleDefinition``, resuming nothing, if any of them
    /// was started by another version (or other stages) of the workflow.
    @discardableResult
    public func resumeAll() async throws -> [WorkflowRunID] {
        let unfinished: [WorkflowRunRecord]
        do {
            unfinished = try await engine.journal.runs(workflow: W.name, status: nil).filter {
                $0.status.isUnfinished && !$0.id.isSubworkflowRun
            }
        } catch {
            throw WorkflowError(.journalFailure, "cannot list the runs of \(W.name): \(error)", underlying: error)
        }
        for record in unfinished { try plan.checkCompatible(record) }
        if engine.suspension.isCancelled, let first = unfinished.first { throw engine.suspended(first.id) }
        return unfinished.filter { launch($0) != nil }.map(\.id)
    }

    /// Starts the driver of `record` unless it is already running here; the run if it started.
    private func launch(_ record: WorkflowRunRecord) -> ActiveRun? {
        active.withLock { active in
            guard active[record.id] == nil, !engine.suspension.isCancelled else { return nil }
            let cancellation = CancellationSignal()
            let driver = RunDriver(plan: plan, engine: engine, record: record, cancellation: cancellation)
            let task = Task { [weak self] in
                defer { self?.finished(record.id) }
                return try await driver.execute()
            }
            let run = ActiveRun(task: task, cancellation: cancellation)
            active[record.id] = run
            return run
        }
    }

    private func finished(_ id: WorkflowRunID) {
        _ = active.withLock { $0.removeValue(forKey: id) }
    }

    private func record(_ id: WorkflowRunID) async throws -> WorkflowRunRecord {
        let record: WorkflowRunRecord?
        do {
            record = try await engine.journal.run(id)
        } catch {
            throw WorkflowError(.journalFailure, "cannot read run \(id): \(error)", runID: id, underlying: error)
        }
        guard let record, record.workflow == W.name else {
            throw WorkflowError(.unknownRun, "the journal has no run \(id) of workflow \(W.name)", runID: id)
        }
        return record
    }
}

extension WorkflowRunID {
    /// Sub-workflow runs are resumed by their parent, not on their own.
    var isSubworkflowRun: Bool { rawValue.contains("/") }
}
