import FoundationEssentials
import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanProcess
import TitanWire

// A reload starts the next incarnation beside the one that serves, and switches calls to it
// only once it is ready, hosts the same service, has run through the settle period and says
// it is healthy. Until the switch the old incarnation is the process (its exit is handled as
// ever); from the switch the new one is, and the old one only finishes what it runs. A reload
// is not a restart: neither the restart counter nor the restart policy sees it.
extension ManagedProcess {
    /// Replaces the running incarnation with a new one without failing a call; see
    /// ``ProcessManager/reload(_:options:)``.
    func reload(_ options: ReloadOptions) async throws -> ReloadReport {
        let (old, tag, spec) = try beginReload(options)
        defer { state.withLock { $0.reloading = false } }
        let child: ChildProcess
        do {
            child = try await ChildProcess.start(
                spec, timeout: options.startTimeout ?? self.options.startTimeout, system: system, output: output,
                onExit: { [weak self] exit in self?.childExited(incarnation: tag, exit: exit) }
            )
        } catch {
            throw rollBack(ReloadError(.startFailed, process: id, "the new incarnation did not start: \(error)", cause: error))
        }
        if let refusal = await vet(child, replacing: old, options: options) {
            _ = await KillLadder(grace: self.options.stopTimeout).stop(child, clock: clock)
            throw rollBack(refusal)
        }
        guard switchTo(child, incarnation: tag, spec: spec, replacing: old) else {
            _ = await KillLadder(grace: self.options.stopTimeout).stop(child, clock: clock)
            throw rollBack(ReloadError(.notRunning, process: id, "the old incarnation (pid \(old.pid)) stopped during the reload"))
        }
        watchMemory(of: child)
        watchHeartbeats(of: child)
        let drained = await drain(old, within: options.drainTimeout)
        _ = await KillLadder(grace: self.options.stopTimeout).stop(old, clock: clock)
        state.withLock { state in
            emit(state, reason: drained ? "pid \(old.pid) drained and stopped" : "pid \(old.pid) stopped after the drain timeout (\(options.drainTimeout))", reload: .drained)
        }
        return ReloadReport(process: id, oldPID: old.pid, newPID: child.pid, drained: drained)
    }

    /// Takes the running incarnation and an incarnation number for the new one, and makes the
    /// new one's recipe: another program's image, more environment.
    private func beginReload(_ options: ReloadOptions) throws -> (ChildProcess, Int, ChildSpec) {
        var image: ExecutableImage?
        if let path = options.executable {
            do {
                image = try ExecutableImage.open(path: path)
            } catch {
                throw ReloadError(.startFailed, process: id, "cannot open \(path): \(error)", cause: error)
            }
        }
        return try state.withLock { state in
            guard state.status == .running, state.killed != state.incarnation, let old = state.child else {
                throw ReloadError(.notRunning, process: id, "the process is \(state.status)")
            }
            guard !state.reloading else {
                throw ReloadError(.alreadyReloading, process: id, "another reload is under way")
            }
            state.reloading = true
            state.issued += 1
            var spec = state.spec
            if let image {
                spec.image = image
                spec.executable = image.path
            }
            spec.environment.merge(options.environment) { $1 }
            spec.environment.merge(spec.child.variables) { $1 }
            emit(state, reason: "starting pid \(old.pid)'s successor\(options.executable.map { " from \($0)" } ?? "")", reload: .started)
            return (old, state.issued, spec)
        }
    }

    /// Why `child` must not take the calls of `old`, if it must not: another service, an
    /// exit within the settle period, or an unhealthy answer to its health check.
    private func vet(_ child: ChildProcess, replacing old: ChildProcess, options: ReloadOptions) async -> ReloadError? {
        if let mismatch = interfaceMismatch(old: old.welcome, new: child.welcome) {
            return ReloadError(.interfaceMismatch, process: id, mismatch)
        }
        if let mismatch = await contractMismatch(old: old, new: child, timeout: options.healthTimeout) {
            return mismatch
        }
        if let exit = await child.waitForExit(until: clock.deadline(after: options.settle)) {
            return ReloadError(.crashedWhileSettling, process: id, "the new incarnation (pid \(child.pid)) exited within the settle period of \(options.settle) (\(exit))")
        }
        let health: HealthStatus
        do {
            let payload = try await child.control(.health, timeout: options.healthTimeout)
            health = try WireDecoder().decode(HealthStatus.self, from: payload)
        } catch {
            return ReloadError(.unhealthy, process: id, "the new incarnation (pid \(child.pid)) did not answer its health check: \(error)", cause: error)
        }
        guard health.state != .unhealthy else {
            return ReloadError(.unhealthy, process: id, "the new incarnation (pid \(child.pid)) reports \(health)")
        }
        return nil
    }

    /// What differs between the service the old incarnation hosts and the new one's, if anything.
    private func interfaceMismatch(old: Welcome?, new: Welcome?) -> String? {
        guard let old, let new else { return nil }
        guard old.service == new.service else {
            return "the new incarnation hosts service '\(new.service)', the old one '\(old.service)'"
        }
        return nil
    }

    /// How the new incarnation's interface (its `@ServiceContract` manifest) differs from the
    /// one callers were built against — or, for a service whose caller knows no contract, the
    /// one the old incarnation reports — if it does.
    private func contractMismatch(old: ChildProcess, new: ChildProcess, timeout: Duration) async -> ReloadError? {
        func reported(by child: ChildProcess) async throws -> ServiceManifest? {
            try WireDecoder().decode(ServiceManifest?.self, from: try await child.control(.contract, timeout: timeout))
        }
        var expected = manifest
        if expected == nil { expected = try? await reported(by: old) }
        guard let expected else { return nil }
        let found: ServiceManifest?
        do {
            found = try await reported(by: new)
        } catch {
            return ReloadError(.interfaceMismatch, process: id, "the new incarnation (pid \(new.pid)) did not describe its interface: \(error)", cause: error)
        }
        guard let found else {
            return ReloadError(
                .interfaceMismatch, process: id,
                "the new incarnation (pid \(new.pid)) does not describe its interface (no @ServiceContract); \(expected.service)'s is \(expected.interfaceHash)"
            )
        }
        guard found.interfaceHash == expected.interfaceHash else {
            let mismatch = ContractError.mismatch(expected: expected, found: found)
            var error = ReloadError(.interfaceMismatch, process: id, "the new incarnation (pid \(new.pid)) hosts another interface: \(mismatch)", cause: mismatch)
            error.differingMethods = mismatch.differingMethods
            return error
        }
        return nil
    }

    /// Makes `child` the incarnation new calls go to, if `old` still is the current one.
    private func switchTo(_ child: ChildProcess, incarnation: Int, spec: ChildSpec, replacing old: ChildProcess) -> Bool {
        let client = state.withLock { state -> CallClient? in
            guard state.status == .running, state.intent == .run, state.child === old, child.termination == nil, let client = child.client else { return nil }
            state.incarnation = incarnation
            state.child = child
            state.spec = spec
            state.startTime = Date()
            emit(state, reason: "new calls go to pid \(child.pid), pid \(old.pid) finishes its calls", reload: .switched)
            return client
        }
        if let client { ready.resumeAll(with: .success(client)) }
        return client != nil
    }

    /// Waits until the calls and streams on `old`'s connection have finished, at most
    /// `timeout`; false if some still ran then.
    ///
    /// The connection keeps no waiter for "nothing in flight", so this looks every few
    /// milliseconds: a reload is rare, and its drain is measured against a timeout in seconds.
    private func drain(_ old: ChildProcess, within timeout: Duration) async -> Bool {
        let deadline = clock.deadline(after: timeout)
        while true {
            guard let client = old.client, old.termination == nil else { return true }
            if client.inFlight == 0 && (client.streams?.openStreams ?? 0) == 0 { return true }
            if clock.now >= deadline { return false }
            try? await clock.sleep(for: .milliseconds(5))
        }
    }

    /// Announces the roll-back and returns `error` to throw.
    private func rollBack(_ error: ReloadError) -> ReloadError {
        state.withLock { state in emit(state, reason: error.message, reload: .rolledBack) }
        return error
    }
}
