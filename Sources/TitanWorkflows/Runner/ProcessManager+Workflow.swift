import TitanPM

extension ProcessManager {
    /// Registers `workflow` with its journal and returns the runner that starts, watches and
    /// cancels its runs.
    ///
    /// Unless ``WorkflowOptions/resumeUnfinishedRuns`` is false, the journal's unfinished runs of
    /// this workflow are resumed first (see ``WorkflowRunner/resumeAll()``).
    ///
    /// Throws ``WorkflowError/Code/invalidDefinition`` if the plan is malformed, and
    /// ``WorkflowError/Code/incompatibleDefinition`` if an unfinished run was started by another
    /// version of the workflow.
    public func workflow<W: Workflow>(
        _ workflow: W,
        journal: any WorkflowJournal,
        options: WorkflowOptions = WorkflowOptions()
    ) async throws -> WorkflowRunner<W> {
        let runner = try WorkflowRunner(workflow, journal: journal, options: options)
        if options.resumeUnfinishedRuns { try await runner.resumeAll() }
        return runner
    }

    /// Registers `workflow` with a SQLite journal at `journalPath` (see
    /// ``workflow(_:journal:options:)``): runs survive the death of this process.
    public func workflow<W: Workflow>(
        _ workflow: W,
        journalPath: String,
        options: WorkflowOptions = WorkflowOptions()
    ) async throws -> WorkflowRunner<W> {
        try await self.workflow(workflow, journal: SQLiteWorkflowJournal(path: journalPath), options: options)
    }
}
