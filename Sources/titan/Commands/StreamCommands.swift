import ArgumentParser
import Glibc
import TitanAdminAPI

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A process's recent output, and with --follow its new lines as they are written.")

    @OptionGroup var connection: Connection
    @OptionGroup var format: OutputFormat

    @Argument(help: "A process id (or a service with one process).")
    var name: String

    @Flag(name: .long, help: "Keep printing new lines until interrupted.")
    var follow = false

    @Option(name: .long, help: "How many past lines to print first.")
    var lines = 20

    func validate() throws {
        guard lines >= 0 else { throw ValidationError("--lines must be 0 or more") }
    }

    func run() throws {
        try connection.run { client in
            let terminal = connection.terminal
            try client.stream(AdminRequest(op: .logs, name: name, count: lines, follow: follow), as: LogEntry.self) { line in
                if format.json {
                    Terminal.printJSON(line, pretty: false)
                } else {
                    let source = terminal.dim("\(Format.clock(line.time)) \(line.process)|")
                    print("\(source) \(line.stream == "stderr" ? terminal.paint(line.text, "31") : line.text)")
                }
                Terminal.flush()
                return true
            }
        }
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "What happened in the manager: status changes, pool and supervisor events, operators' actions.")

    @OptionGroup var connection: Connection
    @OptionGroup var format: OutputFormat

    @Flag(name: .long, help: "Keep printing events as they happen until interrupted.")
    var follow = false

    @Option(name: .long, help: "How many past events to print first (default: 20, or none with --follow).")
    var lines: Int?

    func run() throws {
        try connection.run { client in
            let terminal = connection.terminal
            let request = AdminRequest(op: .events, count: lines ?? (follow ? 0 : 20), follow: follow)
            try client.stream(request, as: AdminEvent.self) { event in
                if format.json {
                    Terminal.printJSON(event, pretty: false)
                } else {
                    print(Self.line(event, terminal))
                }
                Terminal.flush()
                return true
            }
        }
    }

    static func line(_ event: AdminEvent, _ terminal: Terminal) -> String {
        var text = "\(terminal.dim(Format.clock(event.time))) \(event.source.padding(to: 10)) \(event.subject) \(terminal.status(event.kind))"
        if let pid = event.pid { text += " pid \(pid)" }
        if let detail = event.detail { text += terminal.dim(" — \(detail)") }
        return text
    }
}

struct Monit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A live view of every process, redrawn in place (like pm2 monit).")

    @OptionGroup var connection: Connection

    @Option(name: .long, help: "Seconds between redraws.")
    var interval: Double = 1

    @Option(name: .long, help: "Stop after this many redraws (default: until interrupted).")
    var iterations: Int?

    func validate() throws {
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
    }

    func run() throws {
        let terminal = connection.terminal
        if terminal.isTTY {
            print("\u{1B}[?25l", terminator: "")
            // Show the cursor again however the view ends.
            signal(SIGINT) { _ in
                _ = write(STDOUT_FILENO, "\u{1B}[?25h\n", 7)
                _exit(0)
            }
        }
        defer { if terminal.isTTY { print("\u{1B}[?25h", terminator: "") } }
        try connection.run { client in
            var frame = 0
            while iterations.map({ frame < $0 }) ?? true {
                if frame > 0 { usleep(useconds_t(interval * 1_000_000)) }
                frame += 1
                let status = try client.request(AdminRequest(op: .status), as: StatusReport.self)
                let pools = try client.request(AdminRequest(op: .pools), as: [PoolReport].self)
                let events = try client.request(AdminRequest(op: .events, count: 8), as: AdminEvent.self, collecting: true)
                let screen = Self.render(status: status, pools: pools, events: events, terminal: terminal, frame: frame)
                // In a terminal: home the cursor and clear, so the view is redrawn in place.
                print(terminal.isTTY ? "\u{1B}[H\u{1B}[2J" + screen : screen + "\n")
                Terminal.flush()
            }
        }
    }

    static func render(status: StatusReport, pools: [PoolReport], events: [AdminEvent], terminal: Terminal, frame: Int) -> String {
        let running = status.processes.filter { $0.status == "running" }.count
        let cpu = status.processes.compactMap(\.cpuPercent).reduce(0, +)
        let memory = status.processes.compactMap(\.residentBytes).reduce(0, +)
        var lines = [
            terminal.bold("titan monit") + "  manager pid \(status.manager)  \(running)/\(status.processes.count) running  CPU \(Format.percent(cpu))  RSS \(Format.bytes(memory))  " + terminal.dim("frame \(frame)"),
            "",
        ]
        var table = Table([("ID", .left), ("PID", .right), ("STATUS", .left), ("CPU", .right), ("", .left), ("RSS", .right), ("CALLS/S", .right), ("UPTIME", .right), ("RESTARTS", .right)])
        for row in status.processes {
            table.add([
                row.id, Format.optional(row.pid), terminal.status(row.status), Format.percent(row.cpuPercent), bar(row.cpuPercent, terminal),
                Format.bytes(row.residentBytes), Format.rate(row.callsPerSecond), Format.duration(row.uptime), "\(row.restarts)",
            ])
        }
        lines.append(table.render(terminal))
        if !pools.isEmpty {
            lines.append("")
            for pool in pools {
                lines.append("\(terminal.bold(pool.id)): \(pool.size) workers, \(pool.busy) busy, \(pool.queued) queued, \(pool.processed) processed")
            }
        }
        lines.append("")
        lines.append(terminal.bold("recent events"))
        lines += events.map { Events.line($0, terminal) }
        return lines.joined(separator: "\n")
    }

    /// Ten cells of CPU use.
    private static func bar(_ percent: Double?, _ terminal: Terminal) -> String {
        let filled = min(10, max(0, Int(((percent ?? 0) / 10).rounded(.up))))
        return terminal.paint(String(repeating: "█", count: filled), "36") + terminal.dim(String(repeating: "·", count: 10 - filled))
    }
}

extension AdminClient {
    /// Collects a finite stream (a request without `follow`) into an array.
    func request<Item: Codable & Sendable>(_ request: AdminRequest, as type: Item.Type, collecting: Bool) throws -> [Item] {
        var items: [Item] = []
        try stream(request, as: Item.self) { items.append($0); return true }
        return items
    }
}
