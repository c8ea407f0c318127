import TitanCore

extension ProcessPool {
    /// Reloads the workers `batchSize` at a time (see ``ProcessManager/reload(_:options:)``)
    /// without failing a call, and returns what each reload replaced, by slot.
    ///
    /// Each worker's replacement starts beside it and takes its place only once it is ready
    /// and healthy; the worker then finishes its calls and stops. No worker leaves the
    /// rotation before its replacement has joined it, so the pool never runs below its size.
    /// Each worker reloaded is announced as ``PoolEvent/Kind/workerReloaded``.
    ///
    /// Stops at the first worker whose reload is rolled back and throws its ``ReloadError``:
    /// that worker and the ones not reached run the old program, the ones before it the new.
    @discardableResult
    public func reload(batchSize: Int = 1, options: ReloadOptions = ReloadOptions()) async throws -> [ReloadReport] {
        let workers = workers.compactMap { manager.entry($0) as? ManagedProcess }
        var reports: [ReloadReport] = []
        var start = 0
        while start < workers.count {
            let batch = workers[start..<min(start + max(batchSize, 1), workers.count)]
            start += batch.count
            let results = await withTaskGroup(of: Result<ReloadReport, any Error>.self) { group in
                for worker in batch {
                    group.addTask { await Result { try await worker.reload(options) } }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for result in results {
                if case .success(let report) = result {
                    reports.append(report)
                    announce(PoolEvent(.workerReloaded, worker: report.process, reason: "pid \(report.oldPID) → \(report.newPID)"))
                }
            }
            for case .failure(let error) in results { throw error }
        }
        return reports
    }
}

extension Result where Failure == any Error {
    /// The result of `body`.
    fileprivate init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
