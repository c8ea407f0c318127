import TitanAdminAPI
import TitanPM

/// What a name in an admin request stands for.
enum AdminTarget: Sendable {
    case process(ProcessID)
    case pool(any PoolControl)
    case supervisor(Supervisor)
    /// Every process and pool running a service of that name (pool workers excepted: they
    /// belong to their pool).
    case service(name: String, processes: [ProcessID], pools: [any PoolControl])

    /// Looks `name` up: a process id first, then a pool id, a supervisor (by name or id),
    /// then a service name.
    ///
    /// - Throws: ``/TitanAdminAPI/AdminError/Code-swift.struct/unknownName`` or
    ///   ``/TitanAdminAPI/AdminError/Code-swift.struct/badRequest`` for a missing name.
    static func resolve(_ name: String?, in manager: ProcessManager) async throws -> AdminTarget {
        guard let name, !name.isEmpty else { throw AdminError(.badRequest, "this operation needs a name") }
        let processes = manager.processes
        if processes.contains(where: { $0.id.rawValue == name }) { return .process(ProcessID(name)) }
        let pools = manager.pools
        if let pool = pools.first(where: { $0.id.rawValue == name }) { return .pool(pool) }
        for supervisor in await allSupervisors(of: manager) where supervisor.name == name || supervisor.id.rawValue == name {
            return .supervisor(supervisor)
        }
        let workers = Set(pools.flatMap(\.workers))
        let members = processes.filter { $0.name == name && !workers.contains($0.id) && !$0.status.isTerminal }.map(\.id)
        let servicePools = pools.filter { $0.serviceName == name }
        guard members.isEmpty && servicePools.isEmpty else {
            return .service(name: name, processes: members, pools: servicePools)
        }
        throw AdminError(.unknownName, "no process, pool, supervisor or service named \(name)")
    }

    /// The one process `name` stands for (a process id, or a service with one process).
    static func process(_ name: String?, in manager: ProcessManager) async throws -> ProcessID {
        switch try await resolve(name, in: manager) {
        case .process(let id): return id
        case .service(_, let processes, let pools) where processes.count == 1 && pools.isEmpty: return processes[0]
        case .service(let name, let processes, let pools):
            let candidates = (processes.map(\.rawValue) + pools.map(\.id.rawValue)).joined(separator: ", ")
            throw AdminError(.ambiguousName, "\(name) runs as several processes or pools (\(candidates)); name one")
        case .pool(let pool):
            let workers = pool.workers.map(\.rawValue).joined(separator: ", ")
            throw AdminError(.unsupported, "\(pool.id) is a pool; name one of its workers (\(workers))")
        case .supervisor(let supervisor):
            throw AdminError(.unsupported, "\(supervisor.name) is a supervisor; name one of its processes")
        }
    }

    /// The one pool `name` stands for (a pool id, or a service with one pool and no other process).
    static func pool(_ name: String?, in manager: ProcessManager) async throws -> any PoolControl {
        switch try await resolve(name, in: manager) {
        case .pool(let pool): return pool
        case .service(_, let processes, let pools) where pools.count == 1 && processes.isEmpty: return pools[0]
        case .service(let name, _, let pools) where pools.count > 1:
            throw AdminError(.ambiguousName, "\(name) has several pools (\(pools.map(\.id.rawValue).joined(separator: ", "))); name one")
        default:
            throw AdminError(.unsupported, "\(name ?? "") is not a pool")
        }
    }

    /// Root supervisors and all the supervisors nested in them.
    static func allSupervisors(of manager: ProcessManager) async -> [Supervisor] {
        var found: [Supervisor] = []
        var pending = manager.supervisors
        while let supervisor = pending.popLast() {
            found.append(supervisor)
            for child in await supervisor.children where child.kind == .supervisor {
                if let nested = await supervisor.supervisor(child.id) { pending.append(nested) }
            }
        }
        return found
    }
}
