import TitanCore

extension ProcessManager {
    /// Replaces the running incarnation of process `id` with a new one — the same program, or
    /// ``ReloadOptions/executable`` — without failing a call, and returns what it replaced.
    ///
    /// The new incarnation starts beside the old one (same ``/TitanCore/ProcessID``, new pid).
    /// Calls go on to the old one until the new one is ready, hosts the same service, has run
    /// through ``ReloadOptions/settle`` and answers its health check with anything but
    /// `unhealthy`. Then new calls go to the new incarnation; calls and streams running on the
    /// old one finish there (within ``ReloadOptions/drainTimeout``) before it is stopped
    /// gracefully. References held by callers keep working throughout. The steps are announced
    /// on ``events`` (``ProcessEvent/reload``); a reload is not a restart (``ProcessInfo/restarts``
    /// does not move, a supervisor does not count it).
    ///
    /// Throws ``/TitanCore/ProcessError/Code/unknownProcess`` for an id this manager does not
    /// have, and ``ReloadError`` when the reload was refused or rolled back — the old
    /// incarnation then goes on serving: ``ReloadError/Code-swift.struct/startFailed``,
    /// ``ReloadError/Code-swift.struct/interfaceMismatch``,
    /// ``ReloadError/Code-swift.struct/crashedWhileSettling``,
    /// ``ReloadError/Code-swift.struct/unhealthy``, ``ReloadError/Code-swift.struct/notRunning``,
    /// ``ReloadError/Code-swift.struct/alreadyReloading`` or, for an in-process service,
    /// ``ReloadError/Code-swift.struct/unsupported``.
    @discardableResult
    public func reload(_ id: ProcessID, options: ReloadOptions = ReloadOptions()) async throws -> ReloadReport {
        guard let entry = entry(id) else { throw ProcessError.unknownProcess(id) }
        guard let process = entry as? ManagedProcess else {
            throw ReloadError(.unsupported, process: id, "it runs in this process: there is no program to reload")
        }
        let report = try await process.reload(options)
        logger.info("reloaded", metadata: ["process": "\(id)", "old_pid": "\(report.oldPID)", "new_pid": "\(report.newPID)"])
        return report
    }
}
