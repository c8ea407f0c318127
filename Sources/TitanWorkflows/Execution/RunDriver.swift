import Foundation

/// Drives one run from wherever its journal says it stands to its end: stages forward while
/// they succeed, then — after a failure or a cancellation — compensations backward.
struct RunDriver<W: Workflow>: Sendable {
    let plan: CompiledPlan<W>
    let engine: WorkflowEngine
    let record: WorkflowRunRecord
    let cancellation: CancellationSignal

    var runID: WorkflowRunID { record.id }

    private enum NodeOutcome: Sendable {
        case resolved(Int)
        case failed(Int, any Error)
        case cancelled(Int)
    }

    private enum ForwardOutcome: Sendable {
        case completed
        case failed(String, any Error)
        case cancelled
    }

    /// Runs the run in a task of its own, which the caller's cancellation does not reach: it
    /// cancels the run instead (the stages stop, the completed ones are compensated).
    func run() async throws -> W.Output {
        let task = Task { try await execute() }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// The whole run. Only the forward phase is cancellable (through ``cancellation``);
    /// compensations run to their end.
    func execute() async throws -> W.Output {
        let input = try JournalCoding.decode(W.Input.self, from: record.input)
        let entries = try await engine.entries(of: runID)
        let replay = try JournalReplay(entries)
        let context = try replay.lastContext.map { try JournalCoding.decode(W.Context.self, from: $0) }
        let state = RunState<W>(runID: runID, input: input, context: context ?? plan.workflow.initialContext(for: input))
        for (step, result) in replay.results { state.completed(step, result: result) }
        for step in replay.skipped { state.skipped(step) }
        engine.emit(runID, W.name, entries.isEmpty ? .runStarted : .runResumed(record.status))

        if record.status == .compensating || replay.stoppedForward {
            let failure = record.failure ?? replay.failure ?? WorkflowFailure(type: "unknown", message: "the journal does not say why")
            return try await compensateAndFinish(state, cancelled: replay.cancelRequested, failedStage: replay.failedStage, failure: failure, underlying: nil)
        }

        let forwardTask = Task { await forward(state, replay) }
        cancellation.onCancel { forwardTask.cancel() }
        switch await forwardTask.value {
        case .completed:
            guard let output = state.result(of: plan.output) else {
                let error = WorkflowError(.resultUnavailable, "the output stage \(plan.output) was skipped, so the run has no output", runID: runID, stage: plan.output)
                return try await fail(state, stage: plan.output, error: error)
            }
            try await engine.append(.runFinished, to: runID, update: WorkflowRunUpdate(status: .completed, output: output))
            engine.emit(runID, W.name, .runCompleted)
            return try JournalCoding.decode(W.Output.self, from: output)
        case .failed(let stage, let error):
            return try await fail(state, stage: stage, error: error)
        case .cancelled:
            if engine.suspension.isCancelled { throw engine.suspended(runID) }
            let failure = WorkflowFailure(type: "WorkflowError.cancelled", message: "the run was cancelled")
            try await engine.append(.cancelRequested, to: runID, update: WorkflowRunUpdate(status: .compensating, failure: failure))
            return try await compensateAndFinish(state, cancelled: true, failedStage: nil, failure: failure, underlying: nil)
        }
    }

    private func fail(_ state: RunState<W>, stage: String, error: any Error) async throws -> W.Output {
        // A stage that failed while the runner stops (its services going away) is not a failure
        // of the run: it runs again on resume.
        if engine.suspension.isCancelled { throw engine.suspended(runID) }
        let failure = WorkflowFailure(error)
        try await engine.append(.stageFailed, step: stage, to: runID, payload: try JournalCoding.encode(failure), update: WorkflowRunUpdate(status: .compensating, failure: failure))
        engine.emit(runID, W.name, .stageFailed(stage, failure))
        return try await compensateAndFinish(state, cancelled: false, failedStage: stage, failure: failure, underlying: error)
    }

    // MARK: Forward

    /// Starts every stage whose dependencies are done, as soon as they are; stops starting
    /// stages at the first failure or on cancellation and waits for the running ones.
    private func forward(_ state: RunState<W>, _ replay: JournalReplay) async -> ForwardOutcome {
        await withTaskGroup(of: NodeOutcome.self) { group in
            var waiting = Array(plan.nodes.indices)
            var resolved: Set<Int> = []
            var failure: (String, any Error)?
            var cancelled = false
            while true {
                if failure == nil && !cancelled {
                    let ready = waiting.filter { plan.nodes[$0].dependencies.allSatisfy(resolved.contains) }
                    waiting.removeAll { ready.contains($0) }
                    for index in ready {
                        group.addTask { await runNode(index, state, replay) }
                    }
                }
                guard let outcome = await group.next() else { break }
                switch outcome {
                case .resolved(let index):
                    resolved.insert(index)
                case .failed(let index, let error):
                    if failure == nil { failure = (plan.nodes[index].name, error) }
                    group.cancelAll()
                case .cancelled:
                    cancelled = true
                    group.cancelAll()
                }
            }
            if cancellation.isCancelled { return .cancelled }
            if let failure { return .failed(failure.0, failure.1) }
            return cancelled ? .cancelled : .completed
        }
    }

    private func runNode(_ index: Int, _ state: RunState<W>, _ replay: JournalReplay) async -> NodeOutcome {
        let node = plan.nodes[index]
        if replay.results[node.name] != nil {
            engine.emit(runID, W.name, .stageReplayed(node.name))
            return .resolved(index)
        }
        if replay.skipped.contains(node.name) { return .resolved(index) }
        let context = StageContext<W>(runID: runID, stage: node.name, attempt: 0, idempotencyKey: key(node.name), state: state, visible: node.visible, engine: engine)
        do {
            if let condition = node.condition, try await !condition(context) {
                try await engine.append(.stageSkipped, step: node.name, to: runID)
                state.skipped(node.name)
                engine.emit(runID, W.name, .stageSkipped(node.name))
                return .resolved(index)
            }
            switch node.work {
            case .single(let step):
                _ = try await runStep(step, of: node, context, state, replay)
            case .expand(let concurrency, let expand):
                let journaled = replay.expansions[node.name]
                let (expansion, steps) = try await expand(context, journaled)
                if journaled == nil {
                    try await engine.append(.stageExpanded, step: node.name, to: runID, payload: expansion)
                }
                let results = try await runSteps(steps, of: node, concurrency: concurrency, context, state, replay)
                try await complete(node.name, result: JournalCoding.array(of: results), state)
            }
            return .resolved(index)
        } catch {
            if error is CancellationError || Task.isCancelled { return .cancelled(index) }
            return .failed(index, error)
        }
    }

    /// Runs generated steps, at most `concurrency` at a time; their results in order.
    private func runSteps(
        _ steps: [StepSpec<W>], of node: StageNodeSpec<W>, concurrency: Int,
        _ context: StageContext<W>, _ state: RunState<W>, _ replay: JournalReplay
    ) async throws -> [Data] {
        var results = [Data](repeating: Data(), count: steps.count)
        try await withThrowingTaskGroup(of: (Int, Data).self) { group in
            var next = 0
            while next < min(concurrency, steps.count) {
                let index = next
                group.addTask { (index, try await runStep(steps[index], of: node, context, state, replay)) }
                next += 1
            }
            for try await (index, result) in group {
                results[index] = result
                if next < steps.count {
                    let index = next
                    group.addTask { (index, try await runStep(steps[index], of: node, context, state, replay)) }
                    next += 1
                }
            }
        }
        return results
    }

    /// Runs one step with its retries, backoff and timeout, journaled before and after; or
    /// replays its journaled result.
    private func runStep(
        _ step: StepSpec<W>, of node: StageNodeSpec<W>,
        _ context: StageContext<W>, _ state: RunState<W>, _ replay: JournalReplay
    ) async throws -> Data {
        if let result = replay.results[step.name] {
            engine.emit(runID, W.name, .stageReplayed(step.name))
            return result
        }
        let key = key(step.name)
        try await engine.append(.stageStarted, step: step.name, to: runID, key: key)
        var attempt = 1
        while true {
            engine.emit(runID, W.name, .stageStarted(step.name, attempt: attempt))
            let attemptContext = context.with(stage: step.name, attempt: attempt, key: key)
            let outcome: Result<Data, any Error>
            do {
                let timeout = node.timeout
                let current = attempt
                outcome = .success(try await engine.clock.withTimeout(timeout, timedOut: {
                    WorkflowError(.stageTimedOut, "attempt \(current) of \(step.name) ran past its timeout of \(timeout ?? .zero)", runID: runID, stage: step.name)
                }) {
                    try await withStageIdempotencyKey(key) { try await step.body(attemptContext) }
                })
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let result):
                try await complete(step.name, result: result, state)
                return result
            case .failure(let error):
                if error is CancellationError || Task.isCancelled { throw CancellationError() }
                guard attempt < node.retry.maxAttempts else { throw error }
                let delay = node.retry.delay(beforeRetry: attempt - 1)
                engine.emit(runID, W.name, .stageRetrying(step.name, attempt: attempt, delay: delay, failure: WorkflowFailure(error)))
                try await engine.clock.sleep(for: delay)
                attempt += 1
            }
        }
    }

    private func complete(_ step: String, result: Data, _ state: RunState<W>) async throws {
        try await engine.append(.stageCompleted, step: step, to: runID, payload: result, context: try JournalCoding.encode(state.context))
        state.completed(step, result: result)
        engine.emit(runID, W.name, .stageCompleted(step))
    }

    /// The idempotency key of a step: the same in every attempt and after a restart.
    func key(_ step: String) -> String {
        "\(runID)/\(step)"
    }
}
