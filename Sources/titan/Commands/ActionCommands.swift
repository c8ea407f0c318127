import ArgumentParser
import TitanAdminAPI

/// Prints what an action did.
private func show(_ report: ActionReport, _ terminal: Terminal) {
    print(report.message)
    for change in report.changes where change.pidBefore != nil || change.pidAfter != nil {
        let before = change.pidBefore.map(String.init) ?? "-"
        let after = change.pidAfter.map(String.init) ?? "-"
        print("  \(change.process): pid \(before) → \(after) \(terminal.status(change.status))")
    }
}

struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restart a process, a pool's workers, a supervisor's children or every process of a service.")

    @OptionGroup var connection: Connection

    @Argument(help: "A process id, pool id, supervisor or service name.")
    var name: String

    @Flag(name: .long, help: "One at a time; a pool starts new workers and drains the old ones, failing no call.")
    var rolling = false

    func run() throws {
        try connection.run { client in
            show(try client.request(AdminRequest(op: .restart, name: name, rolling: rolling), as: ActionReport.self), connection.terminal)
        }
    }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop a process (graceful request, then SIGTERM, then SIGKILL), a pool or a supervisor.")

    @OptionGroup var connection: Connection

    @Argument(help: "A process id, pool id, supervisor or service name.")
    var name: String

    @Option(name: .long, help: "How long each step may take before the next, harsher one: 30s, 500ms, 2m.")
    var timeout: String?

    func validate() throws {
        if let timeout, Format.parseDuration(timeout) == nil {
            throw ValidationError("--timeout takes a duration such as 30s, 500ms or 2m, not \(timeout)")
        }
    }

    func run() throws {
        try connection.run { client in
            let request = AdminRequest(op: .stop, name: name, timeout: timeout.flatMap(Format.parseDuration))
            show(try client.request(request, as: ActionReport.self), connection.terminal)
        }
    }
}

struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send a signal to a process; its restart policy applies to the exit.")

    @OptionGroup var connection: Connection

    @Argument(help: "A process id (or a service with one process).")
    var name: String

    @Option(name: .long, help: "TERM, KILL, INT, HUP, QUIT, USR1, USR2, STOP, CONT or a number.")
    var signal = "KILL"

    func run() throws {
        try connection.run { client in
            show(try client.request(AdminRequest(op: .kill, name: name, signal: signal), as: ActionReport.self), connection.terminal)
        }
    }
}

struct Scale: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Set a pool's number of workers.")

    @OptionGroup var connection: Connection

    @Argument(help: "A pool id (or a service with one pool).")
    var pool: String

    @Argument(help: "The number of workers.")
    var size: Int

    func validate() throws {
        guard size >= 1 else { throw ValidationError("a pool needs at least one worker; use `titan stop \(pool)` to stop it") }
    }

    func run() throws {
        try connection.run { client in
            show(try client.request(AdminRequest(op: .scale, name: pool, count: size), as: ActionReport.self), connection.terminal)
        }
    }
}

struct Spawn: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a service the manager registered as spawnable.")

    @OptionGroup var connection: Connection

    @Argument(help: "The service's name (see `titan services`).")
    var service: String

    @Option(name: .long, help: "The service's configuration as JSON.")
    var config: String?

    func run() throws {
        try connection.run { client in
            let configuration = try config.map { try JSONValue(parsing: $0) }
            show(try client.request(AdminRequest(op: .spawn, name: service, arguments: configuration), as: ActionReport.self), connection.terminal)
        }
    }
}

struct Invoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call a method of a process or pool with JSON arguments.",
        discussion: "Arguments: a JSON array in order, an object by label, or the value of a single parameter. Example: titan invoke calculator-1 'add(_:_:)' '[2, 3]'"
    )

    @OptionGroup var connection: Connection
    @OptionGroup var format: OutputFormat

    @Argument(help: "A process id, pool id or service name.")
    var name: String

    @Argument(help: "The method, as `titan service NAME --methods` lists it (or its base name if unique).")
    var method: String

    @Argument(help: "The arguments as JSON.")
    var arguments: String?

    func run() throws {
        try connection.run { client in
            let values = try arguments.map { try JSONValue(parsing: $0) }
            let report = try client.request(AdminRequest(op: .invoke, name: name, method: method, arguments: values), as: InvokeReport.self)
            if format.json { return Terminal.printJSON(report) }
            print(report.result.description)
        }
    }
}
