import FoundationEssentials
import Glibc
import TitanAdminAPI
import TitanPM

extension AdminController {
    /// Runs an action other than invoke; the caller has authorised it.
    func perform(_ request: AdminRequest) async throws -> ActionReport {
        switch request.op {
        case .restart: try await restart(request.name, rolling: request.rolling ?? false)
        case .stop: try await stop(request.name, timeout: try request.timeout.map(Self.duration))
        case .kill: try await kill(request.name, signal: try Self.signal(request.signal))
        case .scale: try await scale(request.name, to: request.count)
        case .spawn: try await spawn(request.name, configuration: request.arguments)
        default: throw AdminError(.unknownOperation, "unknown action \(request.op)")
        }
    }

    // MARK: Restart

    private func restart(_ name: String?, rolling: Bool) async throws -> ActionReport {
        switch try await AdminTarget.resolve(name, in: manager) {
        case .process(let id) where rolling:
            let change = try await reloadProcess(id)
            return ActionReport(message: "reloaded \(id) without downtime: pid \(change.pidBefore.map(String.init) ?? "-") → \(change.pidAfter.map(String.init) ?? "-")", changes: [change])
        case .process(let id):
            let change = try await restartProcess(id)
            return ActionReport(message: "restarted \(id): pid \(change.pidBefore.map(String.init) ?? "-") → \(change.pidAfter.map(String.init) ?? "-")", changes: [change])
        case .pool(let pool):
            let changes = try await restartPool(pool, rolling: rolling)
            return ActionReport(message: "\(rolling ? "replaced" : "restarted") \(changes.count) worker(s) of \(pool.id)\(rolling ? " one at a time" : "")", changes: changes, size: pool.stats.size)
        case .supervisor(let supervisor):
            var changes: [ActionReport.Change] = []
            for child in await supervisor.children {
                let before = child.process.flatMap { manager.process(id: $0)?.pid }
                try await supervisor.restartChild(child.id)
                let after = await supervisor.children.first { $0.id == child.id }
                changes.append(ActionReport.Change(process: child.process?.rawValue ?? child.id, pidBefore: before, pidAfter: after?.pid, status: after?.status.rawValue ?? "unknown"))
            }
            return ActionReport(message: "restarted the \(changes.count) children of \(supervisor.name) in order", changes: changes)
        case .service(let name, let processes, let pools):
            var changes: [ActionReport.Change] = []
            if rolling {
                for id in processes { changes.append(try await reloadProcess(id)) }
            } else {
                changes += try await withThrowingTaskGroup(of: ActionReport.Change.self) { group in
                    for id in processes { group.addTask { try await self.restartProcess(id) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            for pool in pools { changes += try await restartPool(pool, rolling: rolling) }
            return ActionReport(message: "restarted \(changes.count) process(es) of \(name)\(rolling ? " one at a time" : "")", changes: changes)
        }
    }

    private func restartProcess(_ id: ProcessID) async throws -> ActionReport.Change {
        let before = manager.process(id: id)?.pid
        try await manager.restart(id)
        let after = manager.process(id: id)
        return ActionReport.Change(process: id.rawValue, pidBefore: before, pidAfter: after?.pid, status: after?.status.rawValue ?? "unknown")
    }

    /// A zero-downtime reload: the new incarnation serves before the old one stops.
    private func reloadProcess(_ id: ProcessID) async throws -> ActionReport.Change {
        let report = try await manager.reload(id)
        let after = manager.process(id: id)
        return ActionReport.Change(process: id.rawValue, pidBefore: report.oldPID, pidAfter: report.newPID, status: after?.status.rawValue ?? "unknown")
    }

    /// Rolling: the pool starts fresh workers and drains the old ones (no call fails).
    /// Otherwise every worker restarts in place at once; calls wait for them.
    private func restartPool(_ pool: any PoolControl, rolling: Bool) async throws -> [ActionReport.Change] {
        if rolling {
            let before = pool.stats.workers
            await pool.restartWorkers()
            let after = pool.stats.workers
            return zip(before, after).map { old, new in
                ActionReport.Change(process: new.id.rawValue, pidBefore: old.pid, pidAfter: new.pid, status: new.state)
            }
        }
        return try await withThrowingTaskGroup(of: ActionReport.Change.self) { group in
            for worker in pool.workers { group.addTask { try await self.restartProcess(worker) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    // MARK: Stop and kill

    private func stop(_ name: String?, timeout: Duration?) async throws -> ActionReport {
        switch try await AdminTarget.resolve(name, in: manager) {
        case .process(let id):
            return ActionReport(message: "stopped \(id)", changes: [try await stopProcess(id, timeout: timeout)])
        case .pool(let pool):
            let workers = pool.stats.workers
            await pool.shutdown(timeout: timeout ?? .seconds(10))
            return ActionReport(message: "stopped pool \(pool.id) and its \(workers.count) worker(s)", changes: workers.map {
                ActionReport.Change(process: $0.id.rawValue, pidBefore: $0.pid, pidAfter: nil, status: "stopped")
            })
        case .supervisor(let supervisor):
            let children = await supervisor.children
            await supervisor.stop()
            return ActionReport(message: "stopped supervisor \(supervisor.name) and its \(children.count) child(ren)", changes: children.map {
                ActionReport.Change(process: $0.process?.rawValue ?? $0.id, pidBefore: $0.pid, pidAfter: nil, status: "stopped")
            })
        case .service(let name, let processes, let pools):
            var changes: [ActionReport.Change] = []
            for id in processes { changes.append(try await stopProcess(id, timeout: timeout)) }
            for pool in pools {
                changes += pool.stats.workers.map { ActionReport.Change(process: $0.id.rawValue, pidBefore: $0.pid, pidAfter: nil, status: "stopped") }
                await pool.shutdown(timeout: timeout ?? .seconds(10))
            }
            return ActionReport(message: "stopped \(changes.count) process(es) of \(name)", changes: changes)
        }
    }

    private func stopProcess(_ id: ProcessID, timeout: Duration?) async throws -> ActionReport.Change {
        let before = manager.process(id: id)?.pid
        try await manager.stop(id, timeout: timeout)
        return ActionReport.Change(process: id.rawValue, pidBefore: before, pidAfter: nil, status: manager.process(id: id)?.status.rawValue ?? "stopped")
    }

    private func kill(_ name: String?, signal: Signal) async throws -> ActionReport {
        let id = try await AdminTarget.process(name, in: manager)
        let pid = manager.process(id: id)?.pid
        try manager.kill(id, signal: signal)
        return ActionReport(message: "sent \(signal) to \(id) (pid \(pid.map(String.init) ?? "-"))", changes: [
            ActionReport.Change(process: id.rawValue, pidBefore: pid, pidAfter: nil, status: manager.process(id: id)?.status.rawValue ?? "unknown"),
        ])
    }

    // MARK: Scale and spawn

    private func scale(_ name: String?, to count: Int?) async throws -> ActionReport {
        guard let count else { throw AdminError(.badRequest, "scale needs a count") }
        guard count >= 1 else { throw AdminError(.badRequest, "a pool keeps at least one worker; stop the pool instead of scaling it to \(count)") }
        let pool = try await AdminTarget.pool(name, in: manager)
        let before = pool.stats.size
        await pool.scale(to: count)
        let after = pool.stats
        return ActionReport(
            message: "scaled \(pool.id) from \(before) to \(after.size) worker(s)",
            changes: after.workers.map { ActionReport.Change(process: $0.id.rawValue, pidBefore: nil, pidAfter: $0.pid, status: $0.state) },
            size: after.size
        )
    }

    private func spawn(_ name: String?, configuration: JSONValue?) async throws -> ActionReport {
        guard let name, !name.isEmpty else { throw AdminError(.badRequest, "spawn needs a service name") }
        guard let service = options.services.first(where: { $0.name == name }) else {
            let known = options.services.map(\.name).joined(separator: ", ")
            throw AdminError(.unknownName, "no service named \(name) may be spawned here; spawnable: \(known.isEmpty ? "none" : known)")
        }
        let id = try await service.start(manager, configuration)
        let info = manager.process(id: id)
        return ActionReport(message: "spawned \(id) (pid \(info?.pid.map(String.init) ?? "-"))", changes: [
            ActionReport.Change(process: id.rawValue, pidBefore: nil, pidAfter: info?.pid, status: info?.status.rawValue ?? "unknown"),
        ])
    }

    // MARK: Invoke

    func invoke(_ request: AdminRequest) async throws -> InvokeReport {
        guard let methodName = request.method, !methodName.isEmpty else { throw AdminError(.badRequest, "invoke needs a method") }
        let target: ProcessID
        let serviceName: String
        switch try await AdminTarget.resolve(request.name, in: manager) {
        case .process(let id):
            target = id
            serviceName = manager.process(id: id)?.name ?? id.rawValue
        case .pool(let pool):
            target = pool.id
            serviceName = pool.serviceName
        case .service(let name, let processes, let pools) where processes.count + pools.count == 1:
            target = processes.first ?? pools[0].id
            serviceName = name
        case .service(let name, _, _):
            throw AdminError(.ambiguousName, "\(name) runs as several processes or pools; name one")
        case .supervisor(let supervisor):
            throw AdminError(.unsupported, "\(supervisor.name) is a supervisor; name one of its processes")
        }
        let description = try await service(serviceName)
        guard let type = description.type else {
            throw AdminError(.unsupported, description.note ?? "the methods of \(serviceName) are unknown here")
        }
        let methods = MethodTable.methods(of: type)
        let matches = methods.filter { $0.info.name == methodName }
        let byBase = methods.filter { $0.info.name.prefix { $0 != "(" } == methodName }
        guard let method = matches.first ?? (byBase.count == 1 ? byBase[0] : nil) else {
            let names = methods.map(\.info.name).joined(separator: ", ")
            throw AdminError(.unknownName, "\(serviceName) has no method \(methodName)\(byBase.count > 1 ? " with those labels" : ""); its methods: \(names)")
        }
        let started = ContinuousClock.now
        let timeout = try request.timeout.map(Self.duration) ?? .seconds(30)
        let result: JSONValue
        do {
            result = try await ProcessActorSystem.withCallTimeout(timeout) {
                try await JSONInvoker.invoke(method, on: target, arguments: request.arguments, system: manager.actorSystem)
            }
        } catch let error as AdminError {
            throw error
        } catch {
            throw AdminError(.failed, "\(method.info.name) threw \(error)")
        }
        return InvokeReport(target: target.rawValue, method: method.info.name, result: result, seconds: ResourceSampler.seconds(started.duration(to: .now)))
    }

    // MARK: Arguments

    static func duration(_ seconds: Double) throws -> Duration {
        guard seconds.isFinite, seconds >= 0 else { throw AdminError(.badRequest, "a timeout must be a number of seconds ≥ 0, not \(seconds)") }
        return .nanoseconds(Int64(seconds * 1e9))
    }

    static func signal(_ name: String?) throws -> Signal {
        guard let name else { return .kill }
        let bare = name.uppercased().hasPrefix("SIG") ? String(name.uppercased().dropFirst(3)) : name.uppercased()
        let known: [String: Signal] = [
            "KILL": .kill, "TERM": .terminate, "INT": .interrupt, "HUP": .hangup, "QUIT": .quit,
            "USR1": .user1, "USR2": .user2, "STOP": .stop, "CONT": .continue,
        ]
        if let signal = known[bare] { return signal }
        if let number = Int32(bare), number > 0, number < 65 { return Signal(rawValue: number) }
        throw AdminError(.badRequest, "unknown signal \(name); use TERM, KILL, INT, HUP, QUIT, USR1, USR2, STOP, CONT or a number")
    }
}
