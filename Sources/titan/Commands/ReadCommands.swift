import ArgumentParser
import TitanAdminAPI

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The process table: id, service, version, pid, status, uptime, restarts, CPU, memory, calls/s.")

    @OptionGroup var connection: Connection
    @OptionGroup var format: OutputFormat

    func run() throws {
        try connection.read(AdminRequest(op: .status), as: StatusReport.self, json: format.json) { report, terminal in
            print(Self.table(report.processes, terminal))
        }
    }

    static func table(_ processes: [ProcessRow], _ terminal: Terminal) -> String {
        var table = Table([
            ("ID", .left), ("SERVICE", .left), ("VERSION", .left), ("PID", .right), ("STATUS", .left), ("UPTIME", .right),
            ("RESTARTS", .right), ("CPU", .right), ("RSS", .right), ("CALLS/S", .right),
        ])
        for row in processes {
            table.add([
                row.id, row.service, row.version, Format.optional(row.pid), terminal.status(row.status),
                Format.duration(row.uptime), "\(row.restarts)", Format.percent(row.cpuPercent),
                Format.bytes(row.residentBytes), Format.rate(row.callsPerSecond),
            ])
        }
        return processes.isEmpty ? table.render(terminal) + "\n" + terminal.dim("(no processes)") : table.render(terminal)
    }
}

struct Pools: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pools and their workers.")

    @OptionGroup var connection: Connection
    @OptionGroup var format: OutputFormat

    func run() throws {
        try connection.read(AdminRequest(op: .pools), as: [PoolReport].self, json: format.json) { pools, terminal in
            guard !pools.isEmpty else { return print(terminal.dim("(no pools)")) }
            for pool in pools {
                print("\(terminal.bold(pool.id)) (\(pool.service)): \(pool.size) worker(s), \(pool.busy) busy, \(pool.queued) queued, \(pool.processed) processed, \(pool.errors) errors, p50 \(Format.milliseconds(pool.latencyP50)), p99 \(Format.milliseconds(pool.latencyP99))")
                var table = Table([("WORKER", .left), ("SLOT", .right), ("PID", .right), ("STATE", .left), ("IN FLIGHT", .right), ("PROCESSED", .right), ("ERRORS", .right), ("CPU", .right), ("RSS", .right)])
                for worker in pool.workers {
                    table.add([
                        worker.id, "\(worker.slot)", Format.optional(worker.pid), terminal.status(worker.state), "\(worker.inFlight)",
                        "\(worker.processed)", "\(worker.errors)", Format.percent(worker.cpuPercent), Format.bytes(worker.residentBytes),
                    ])
                }
                print(table.render(terminal))
            }
        }
    }
}

struct Tree: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The supervision tree: supervisors, pools and processes under the manager.")

    @OptionGroup var connection: Connection
    @OptionGroup var format: OutputFormat

    func run() throws {
        try connection.read(AdminRequest(op: .tree), as: TreeNode.self, json: format.json) { root, terminal in
            print(Self.render(root, terminal))
        }
    }

    static func render(_ root: TreeNode, _ terminal: Terminal) -> String {
        var lines = [label(root, terminal)]
        func walk(_ node: TreeNode, prefix: String) {
            for (index, child) in node.children.enumerated() {
                let last = index == node.children.count - 1
                lines.append(prefix + (last ? "└─ " : "├─ ") + label(child, terminal))
                walk(child, prefix: prefix + (last ? "   " : "│  "))
            }
        }
        walk(root, prefix: "")
        return lines.joined(separator: "\n")
    }

    private static func label(_ node: TreeNode, _ terminal: Terminal) -> String {
        var parts: [String]
        switch node.kind {
        case .manager: parts = [terminal.bold("manager \(node.name)")]
        case .supervisor: parts = [terminal.bold("supervisor \(node.name)"), node.detail.map { "[\($0)]" } ?? ""]
        case .pool: parts = [terminal.bold("pool \(node.name)"), node.detail.map { "of \($0)," } ?? "", "\(node.children.count) worker(s)"]
        case .process:
            parts = [node.name]
            if let id = node.id, id != node.name { parts.append("(\(id))") }
            if let status = node.status { parts.append(terminal.status(status)) }
        }
        if let pid = node.pid { parts.append("pid \(pid)") }
        if let restarts = node.restarts, restarts > 0 { parts.append("restarts \(restarts)") }
        return parts.filter { !$0.isEmpty }.joined(separator: " ")
    }
}

struct Services: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Services the manager runs or may spawn.")

    @OptionGroup var connection: Connection
    @OptionGroup var format: OutputFormat

    func run() throws {
        try connection.read(AdminRequest(op: .services), as: [ServiceRow].self, json: format.json) { services, terminal in
            var table = Table([("SERVICE", .left), ("VERSION", .left), ("TYPE", .left), ("INSTANCES", .left), ("SPAWNABLE", .left)])
            for service in services {
                table.add([service.name, service.version, service.type ?? "-", service.instances.isEmpty ? "-" : service.instances.joined(separator: ", "), service.spawnable ? "yes" : "no"])
            }
            print(table.render(terminal))
        }
    }
}

struct ServiceInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "service", abstract: "One service: its type, instances and, with --methods, its distributed methods.")

    @OptionGroup var connection: Connection
    @OptionGroup var format: OutputFormat

    @Argument(help: "A service name (or a process or pool id).")
    var name: String

    @Flag(name: .long, help: "List the service's methods with their parameters and result.")
    var methods = false

    func run() throws {
        try connection.read(AdminRequest(op: .service, name: name), as: ServiceDescription.self, json: format.json) { service, terminal in
            print("\(terminal.bold(service.name)) \(service.version)")
            print("type:      \(service.type ?? "-")")
            print("instances: \(service.instances.isEmpty ? "-" : service.instances.joined(separator: ", "))")
            guard methods else { return }
            print("methods:")
            if service.methods.isEmpty { print("  " + terminal.dim("(none known)")) }
            for method in service.methods {
                let marker = method.invocable ? "" : terminal.dim("  (\(method.note ?? "not callable with JSON"))")
                print("  \(method.name)  \(method.signature)\(marker)")
                for policy in method.policies { print("      \(policy)") }
            }
            if let hash = service.interfaceHash { print("interface hash: \(hash)") }
            if let note = service.note { print(terminal.dim(note)) }
        }
    }
}

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A metrics snapshot of one process.")

    @OptionGroup var connection: Connection
    @OptionGroup var format: OutputFormat

    @Argument(help: "A process id (or a service with one process).")
    var name: String

    func run() throws {
        try connection.read(AdminRequest(op: .metrics, name: name), as: MetricsReport.self, json: format.json) { m, terminal in
            let lines: [(String, String)] = [
                ("process", m.process), ("service", m.service), ("pid", Format.optional(m.pid)), ("status", terminal.status(m.status)),
                ("uptime", Format.duration(m.uptime)), ("restarts", "\(m.restarts)"), ("cpu", Format.percent(m.cpuPercent)),
                ("cpu time", m.cpuSeconds.map { "\(Format.decimal($0, places: 2)) s" } ?? "-"), ("rss", Format.bytes(m.residentBytes)),
                ("descriptors", Format.optional(m.openDescriptors)), ("threads", Format.optional(m.threads)),
                ("calls", Format.optional(m.calls)), ("errors", Format.optional(m.errors)), ("in flight", Format.optional(m.inFlight)),
                ("calls/s", Format.rate(m.callsPerSecond)), ("p50", Format.milliseconds(m.latencyP50)), ("p99", Format.milliseconds(m.latencyP99)),
                ("source", m.source),
            ]
            for (key, value) in lines { print("\(terminal.bold(key.padding(to: 12))) \(value)") }
            guard !m.methods.isEmpty else { return }
            var table = Table([("METHOD", .left), ("CALLS", .right), ("ERRORS", .right), ("P50", .right), ("P99", .right)])
            for method in m.methods {
                table.add([method.method, "\(method.calls)", "\(method.errors)", Format.milliseconds(method.latencyP50), Format.milliseconds(method.latencyP99)])
            }
            print(table.render(terminal))
        }
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
