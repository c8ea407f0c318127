import Foundation

extension RunDriver {
    /// Compensates every completed step that has a compensation, in the reverse order of
    /// completion, skipping those the journal shows as already compensated (before a crash);
    /// then journals the run's end and throws the error that reports it all.
    func compensateAndFinish(
        _ state: RunState<W>, cancelled: Bool, failedStage: String?, failure: WorkflowFailure, underlying: (any Error)?
    ) async throws -> W.Output {
        let entries = try await engine.entries(of: runID)
        let steps = try await compensableSteps(entries, state)
        // Compensations that ended before a crash are not run again.
        let finished = Dictionary(try JournalReplay(entries).compensations.map { ($0.stage, $0.result) }) { $1 }
        let completed = entries.filter { $0.kind == .stageCompleted }.sorted { $0.sequence > $1.sequence }
        var outcomes: [CompensationOutcome] = []
        for entry in completed {
            guard let (step, node) = steps[entry.step], let compensate = step.compensate else { continue }
            if engine.suspension.isCancelled { throw engine.suspended(runID) }
            if let result = finished[step.name] {
                outcomes.append(CompensationOutcome(stage: step.name, result: result, attempts: 0))
                continue
            }
            outcomes.append(try await compensateStep(step.name, node: node, result: entry.payload ?? Data(), compensate, state))
        }

        let succeeded = outcomes.allSatisfy(\.succeeded)
        let status: WorkflowRunStatus = !succeeded ? .compensationFailed : cancelled ? .cancelled : .failed
        try await engine.append(.runFinished, to: runID, update: WorkflowRunUpdate(status: status, failure: failure))
        engine.emit(runID, W.name, cancelled ? .runCancelled : .runFailed(failure))

        let undone = succeeded
            ? "the \(outcomes.count) completed stage(s) with compensations were compensated"
            : "compensation failed for \(outcomes.filter { !$0.succeeded }.map(\.stage).joined(separator: ", ")): their effects may remain and need attention"
        let what = cancelled ? "run cancelled" : "stage \(failedStage ?? "?") failed (\(failure))"
        throw WorkflowError(
            cancelled ? .cancelled : .stageFailed, "\(what); \(undone)",
            runID: runID, stage: failedStage, failure: failure, underlying: underlying, compensations: outcomes
        )
    }

    /// One compensation with the engine's retry policy, journaled before and after.
    private func compensateStep(
        _ step: String, node: StageNodeSpec<W>, result: Data,
        _ compensate: @Sendable (StageContext<W>, Data) async throws -> Void,
        _ state: RunState<W>
    ) async throws -> CompensationOutcome {
        let key = key(step) + "#compensate"
        try await engine.append(.compensationStarted, step: step, to: runID, key: key)
        let policy = engine.compensationRetry
        var attempt = 1
        while true {
            engine.emit(runID, W.name, .compensationStarted(step, attempt: attempt))
            let context = StageContext<W>(runID: runID, stage: step, attempt: attempt, idempotencyKey: key, state: state, visible: node.visible, engine: engine)
            do {
                try await withStageIdempotencyKey(key) { try await compensate(context, result) }
                try await engine.append(.compensationCompleted, step: step, to: runID)
                engine.emit(runID, W.name, .compensationCompleted(step))
                return CompensationOutcome(stage: step, result: .compensated, attempts: attempt)
            } catch let error as WorkflowError where error.code == .journalFailure {
                throw error
            } catch {
                let failure = WorkflowFailure(error)
                let willRetry = attempt < policy.maxAttempts
                engine.emit(runID, W.name, .compensationFailed(step, attempt: attempt, failure: failure, willRetry: willRetry))
                guard willRetry else {
                    try await engine.append(.compensationFailed, step: step, to: runID, payload: try JournalCoding.encode(failure))
                    return CompensationOutcome(stage: step, result: .failed(failure), attempts: attempt)
                }
                try? await engine.clock.sleep(for: policy.delay(beforeRetry: attempt - 1))
                attempt += 1
            }
        }
    }

    /// Every step that may need compensating, by name: the stages, and the items of the `map`
    /// and dynamic stages that were expanded (generated again from their journaled expansion).
    private func compensableSteps(_ entries: [WorkflowJournalEntry], _ state: RunState<W>) async throws -> [String: (StepSpec<W>, StageNodeSpec<W>)] {
        var steps: [String: (StepSpec<W>, StageNodeSpec<W>)] = [:]
        for node in plan.nodes {
            switch node.work {
            case .single(let step):
                steps[step.name] = (step, node)
            case .expand(_, let expand):
                guard let expansion = entries.last(where: { $0.kind == .stageExpanded && $0.step == node.name })?.payload else { continue }
                let context = StageContext<W>(runID: runID, stage: node.name, attempt: 0, idempotencyKey: key(node.name), state: state, visible: node.visible, engine: engine)
                for step in try await expand(context, expansion).1 {
                    steps[step.name] = (step, node)
                }
            }
        }
        return steps
    }
}
