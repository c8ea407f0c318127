import FoundationEssentials
import Glibc
import TitanAdminAPI
import TitanPM
import TitanPolicies

extension AdminController {
    /// Which pool or supervisor each process belongs to, and the tree below the supervisors.
    struct Supervision {
        var roots: [TreeNode] = []
        var supervisorOf: [ProcessID: String] = [:]
        var supervisedPools: Set<ProcessID> = []
    }

    // MARK: Status

    func status() async -> StatusReport {
        let supervision = await supervision()
        let poolOf = poolMembership()
        let rows = manager.processes.map { info in
            row(info, pool: poolOf[info.id], supervisor: supervision.supervisorOf[info.id])
        }
        return StatusReport(manager: getpid(), processes: rows)
    }

    private func row(_ info: TitanPM.ProcessInfo, pool: ProcessID?, supervisor: String?) -> ProcessRow {
        let reading = info.status == .running ? sampler.reading(of: info.id) : nil
        return ProcessRow(
            id: info.id.rawValue, service: info.name, version: info.version, pid: info.pid, status: info.status.rawValue,
            uptime: info.status == .running ? info.startTime.map { Date().timeIntervalSince($0) } : nil,
            restarts: info.restarts, cpuPercent: reading?.cpuPercent,
            residentBytes: reading?.residentBytes ?? info.residentMemory,
            callsPerSecond: reading?.callsPerSecond, pool: pool?.rawValue, supervisor: supervisor,
            isolation: info.isolation.rawValue, lastExit: info.lastExit.map { "\($0)" }
        )
    }

    func poolMembership() -> [ProcessID: ProcessID] {
        var poolOf: [ProcessID: ProcessID] = [:]
        for pool in manager.pools {
            for worker in pool.stats.workers { poolOf[worker.id] = pool.id }
        }
        return poolOf
    }

    // MARK: Pools

    func pools() -> [PoolReport] {
        manager.pools.map { pool in
            let stats = pool.stats
            return PoolReport(
                id: pool.id.rawValue, service: pool.serviceName, size: stats.size, busy: stats.busy, idle: stats.idle,
                queued: stats.queued, processed: stats.processed, errors: stats.errors,
                latencyP50: stats.latencyP50.map(ResourceSampler.seconds), latencyP99: stats.latencyP99.map(ResourceSampler.seconds),
                workers: stats.workers.map { worker in
                    let reading = sampler.reading(of: worker.id)
                    return PoolReport.Worker(
                        id: worker.id.rawValue, slot: worker.slot, pid: worker.pid, state: worker.state,
                        inFlight: worker.inFlight, processed: worker.processed, errors: worker.errors,
                        cpuPercent: reading?.cpuPercent, residentBytes: reading?.residentBytes ?? worker.residentBytes
                    )
                }
            )
        }
    }

    // MARK: Tree

    /// The manager, then its supervisors (with their processes, pools and nested supervisors),
    /// the pools no supervisor owns, and the processes nobody else looks after.
    func tree() async -> TreeNode {
        let supervision = await supervision()
        let poolOf = poolMembership()
        var children = supervision.roots
        for pool in manager.pools where !supervision.supervisedPools.contains(pool.id) {
            children.append(poolNode(pool, name: pool.id.rawValue))
        }
        for info in manager.processes where poolOf[info.id] == nil && supervision.supervisorOf[info.id] == nil {
            children.append(processNode(info, name: info.id.rawValue, restarts: info.restarts))
        }
        return TreeNode(kind: .manager, name: manager.actorSystem.processID.rawValue, pid: getpid(), children: children)
    }

    func supervision() async -> Supervision {
        var result = Supervision()
        for root in manager.supervisors {
            result.roots.append(await node(of: root, name: root.name, restarts: nil, into: &result))
        }
        return result
    }

    private func node(of supervisor: Supervisor, name: String, restarts: Int?, into result: inout Supervision) async -> TreeNode {
        var children: [TreeNode] = []
        for child in await supervisor.children {
            switch child.kind {
            case .process:
                if let id = child.process { result.supervisorOf[id] = supervisor.name }
                if let id = child.process, let info = manager.process(id: id) {
                    children.append(processNode(info, name: child.id, restarts: child.restarts))
                } else {
                    children.append(TreeNode(kind: .process, name: child.id, id: child.process?.rawValue, status: child.status.rawValue, restarts: child.restarts))
                }
            case .pool:
                if let id = child.process { result.supervisedPools.insert(id) }
                if let pool = manager.pools.first(where: { $0.id == child.process }) {
                    var node = poolNode(pool, name: child.id)
                    node.restarts = child.restarts
                    children.append(node)
                }
            case .supervisor:
                if let nested = await supervisor.supervisor(child.id) {
                    children.append(await node(of: nested, name: child.id, restarts: child.restarts, into: &result))
                }
            }
        }
        return TreeNode(
            kind: .supervisor, name: name, id: supervisor.id.rawValue, status: "running", restarts: restarts,
            detail: "\(supervisor.strategy)", children: children
        )
    }

    private func poolNode(_ pool: any PoolControl, name: String) -> TreeNode {
        let workers = pool.stats.workers.map { worker in
            TreeNode(kind: .process, name: worker.id.rawValue, id: worker.id.rawValue, status: worker.state, pid: worker.pid, restarts: manager.process(id: worker.id)?.restarts)
        }
        return TreeNode(kind: .pool, name: name, id: pool.id.rawValue, status: "running", detail: pool.serviceName, children: workers)
    }

    private func processNode(_ info: TitanPM.ProcessInfo, name: String, restarts: Int) -> TreeNode {
        TreeNode(kind: .process, name: name, id: info.id.rawValue, status: info.status.rawValue, pid: info.pid, restarts: restarts, detail: info.name)
    }

    // MARK: Services

    func services() -> [ServiceRow] {
        var rows: [String: ServiceRow] = [:]
        var order: [String] = []
        func add(_ name: String, version: String, type: String?, instance: String?, spawnable: Bool) {
            if rows[name] == nil {
                rows[name] = ServiceRow(name: name, version: version, type: type, instances: [], spawnable: false)
                order.append(name)
            }
            if let instance, !rows[name]!.instances.contains(instance) { rows[name]!.instances.append(instance) }
            if spawnable { rows[name]!.spawnable = true }
            if rows[name]!.type == nil { rows[name]!.type = type }
        }
        for service in options.services {
            add(service.name, version: service.version, type: service.typeName, instance: nil, spawnable: true)
        }
        let poolOf = poolMembership()
        for info in manager.processes where !info.status.isTerminal {
            add(info.name, version: info.version, type: typeName(of: info.id), instance: poolOf[info.id]?.rawValue ?? info.id.rawValue, spawnable: false)
        }
        return order.compactMap { rows[$0] }
    }

    /// The qualified Swift type name of the service process `id` runs, if this executable links it.
    func typeName(of id: ProcessID) -> String? {
        guard let mangled = manager.serviceTypeName(of: id), let type = _typeByName(mangled) else { return nil }
        return _typeName(type, qualified: true)
    }

    /// The service type behind `row`: a spawnable registration's, or a running instance's.
    private func serviceType(of row: ServiceRow) -> Any.Type? {
        if let registered = options.services.first(where: { $0.name == row.name }) { return registered.serviceType }
        let poolWorkers = Dictionary(manager.pools.map { ($0.id.rawValue, $0.workers.first) }) { first, _ in first }
        for instance in row.instances {
            let process = poolWorkers[instance].flatMap { $0 } ?? ProcessID(instance)
            if let mangled = manager.serviceTypeName(of: process), let type = _typeByName(mangled) { return type }
        }
        return nil
    }

    func service(_ name: String?) async throws -> ServiceDescription {
        guard let name, !name.isEmpty else { throw AdminError(.badRequest, "service needs a service name") }
        guard let row = services().first(where: { $0.name == name }) else {
            // A process or pool id names its service too.
            if let target = try? await AdminTarget.resolve(name, in: manager) {
                switch target {
                case .process(let id): if let info = manager.process(id: id) { return try await service(info.name) }
                case .pool(let pool): return try await service(pool.serviceName)
                default: break
                }
            }
            let known = services().map(\.name).joined(separator: ", ")
            throw AdminError(.unknownName, "no service named \(name); known services: \(known.isEmpty ? "none" : known)")
        }
        guard let typeName = row.type else {
            return ServiceDescription(
                name: row.name, version: row.version, type: nil, instances: row.instances, methods: [], methodsSource: "none",
                note: "\(row.name) was spawned by name from another executable, which this manager does not link: its methods are unknown here"
            )
        }
        var methods = MethodTable.methods(of: typeName).map(\.info)
        guard let contracted = serviceType(of: row) as? any ContractedService.Type else {
            return ServiceDescription(
                name: row.name, version: row.version, type: typeName, instances: row.instances, methods: methods,
                methodsSource: methods.isEmpty ? "none" : "runtime",
                note: methods.isEmpty
                    ? "no distributed methods of \(typeName) were found in this executable's table of distributed functions"
                    : "from the Swift runtime's table of distributed functions in this executable: labels and types; policies need @ServiceContract"
            )
        }
        // The manifest adds what the runtime cannot know: the policies on each method.
        let manifest = contracted.manifest
        for index in methods.indices {
            methods[index].policies = manifest.method(forKey: methods[index].name)?.policies.attributes ?? []
        }
        let known = Set(methods.map(\.name))
        for method in manifest.methods where !known.contains(method.key) {
            methods.append(MethodInfo(
                name: method.key, parameters: method.parameters.map { ParameterInfo(label: $0.label, type: $0.type) },
                result: method.resultType, invocable: false, note: "not in this executable's table of distributed functions",
                policies: method.policies.attributes
            ))
        }
        return ServiceDescription(
            name: row.name, version: row.version, type: typeName, instances: row.instances,
            methods: methods.sorted { $0.name < $1.name }, methodsSource: "manifest",
            interfaceHash: contracted.interfaceHash.description,
            note: "from the service's @ServiceContract manifest, with the runtime's table for calling them"
        )
    }

    // MARK: Metrics

    func metricsReport(_ name: String?) async throws -> MetricsReport {
        let id = try await AdminTarget.process(name, in: manager)
        guard let info = manager.process(id: id) else { throw AdminError(.unknownName, "no process \(id)") }
        let reading = info.status == .running ? sampler.reading(of: id) : nil
        let calls = await metrics.calls(of: id)
        let pid = info.status == .running ? info.pid : nil
        return MetricsReport(
            process: id.rawValue, service: info.name, pid: pid, status: info.status.rawValue, restarts: info.restarts,
            uptime: info.status == .running ? info.startTime.map { Date().timeIntervalSince($0) } : nil,
            cpuPercent: reading?.cpuPercent, cpuSeconds: pid.flatMap { ProcFS.cpuTime(of: $0) }.map(ResourceSampler.seconds),
            residentBytes: pid.flatMap { ProcFS.residentBytes(of: $0) },
            openDescriptors: pid.flatMap(Self.openDescriptors), threads: pid.flatMap(Self.threads),
            calls: calls?.calls, errors: calls?.errors, inFlight: calls?.inFlight ?? (pid != nil ? manager.inFlightCalls(id) : nil),
            callsPerSecond: reading?.callsPerSecond, latencyP50: calls?.latencyP50, latencyP99: calls?.latencyP99,
            methods: calls?.methods ?? [], source: metrics.name
        )
    }

    private static func openDescriptors(of pid: Int32) -> Int? {
        guard let dir = opendir("/proc/\(pid)/fd") else { return nil }
        defer { closedir(dir) }
        var count = 0
        while readdir(dir) != nil { count += 1 }
        return max(0, count - 2)
    }

    private static func threads(of pid: Int32) -> Int? {
        guard let bytes = ProcFS.read("/proc/\(pid)/status") else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Threads:") }) else { return nil }
        return Int(line.dropFirst("Threads:".count).trimmingPrefix(while: { $0 == " " || $0 == "\t" }))
    }
}
