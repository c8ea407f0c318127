import ArgumentParser
import TitanAdminAPI

struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restart a process, a pool's workers, a supervisor's children or every process of a service.")

    @OptionGroup var connection: Connection

    @Argument(help: "A process id, pool id, supervisor or service name.")
    var name: String

    @Flag(name: .long, help: "One at a time, failing no call: a process is reloaded (its new incarnation serves before the old one stops), a pool starts new workers and drains the old ones.")
    var rolling = false

    func run() throws {
        try connection.act(AdminRequest(op: .restart, name: name, rolling: rolling))
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
        try connection.act(AdminRequest(op: .stop, name: name, timeout: timeout.flatMap(Format.parseDuration)))
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
        try connection.act(AdminRequest(op: .kill, name: name, signal: signal))
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
        try connection.act(AdminRequest(op: .scale, name: pool, count: size))
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
        try connection.act(AdminRequest(op: .spawn, name: service, arguments: try json(config, "--config")))
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
        let request = AdminRequest(op: .invoke, name: name, method: method, arguments: try json(arguments, "the arguments"))
        try connection.read(request, as: InvokeReport.self, json: format.json) { report, _ in
            print(report.result.description)
        }
    }
}

/// `text` parsed as JSON, nil when there is none; a usage error naming `what` when it is not JSON.
private func json(_ text: String?, _ what: String) throws -> JSONValue? {
    guard let text else { return nil }
    do {
        return try JSONValue(parsing: text)
    } catch {
        throw ValidationError("\(what) must be valid JSON, not \(text)")
    }
}
