import ArgumentParser
import Glibc
import TitanAdminAPI

/// Where the manager is, shared by every command.
struct Connection: ParsableArguments {
    @Option(name: .long, help: "The admin socket (default: $TITAN_SOCKET, else the manager's default path).")
    var socket: String?

    @Option(name: .long, help: "A TCP endpoint, HOST:PORT, instead of the socket.")
    var tcp: String?

    @Option(name: .long, help: "The TCP endpoint's token (default: $TITAN_TOKEN).")
    var token: String?

    @Option(name: .long, help: "Colour: auto (when standard output is a terminal), always or never.")
    var color: ColorChoice = .auto

    func validate() throws {
        if let tcp, parseTCP(tcp) == nil {
            throw ValidationError("--tcp takes HOST:PORT, not \(tcp)")
        }
    }

    /// The endpoint's address.
    var address: AdminClient.Address {
        if let tcp, let (host, port) = parseTCP(tcp) { return .tcp(host: host, port: port) }
        return .unix(AdminEndpoint.socketPath(explicit: socket))
    }

    /// The terminal's styling for this run.
    var terminal: Terminal { Terminal(color: color) }

    /// Connects and runs `body`; an ``AdminError`` becomes one line on standard error and the
    /// exit status the help text documents.
    func run(_ body: (AdminClient) throws -> Void) throws {
        do {
            let secret = token ?? getenv(AdminEndpoint.tokenVariable).map { String(cString: $0) }
            try body(AdminClient(address, token: secret))
        } catch let error as AdminError {
            Terminal.printError(error.message)
            throw ExitCode(Self.exitCode(for: error.code))
        }
    }

    /// Sends a read and prints its result: as JSON with `json`, else with `render`.
    func read<Result: Codable & Sendable>(_ request: AdminRequest, as type: Result.Type, json: Bool, render: (Result, Terminal) -> Void) throws {
        try run { client in
            let result = try client.request(request, as: Result.self)
            if json {
                Terminal.printJSON(result)
            } else {
                render(result, terminal)
            }
        }
    }

    /// Sends an action and prints what it did.
    func act(_ request: AdminRequest) throws {
        try run { client in
            let report = try client.request(request, as: ActionReport.self)
            let terminal = terminal
            print(report.message)
            for change in report.changes where change.pidBefore != nil || change.pidAfter != nil {
                let before = change.pidBefore.map(String.init) ?? "-"
                let after = change.pidAfter.map(String.init) ?? "-"
                print("  \(change.process): pid \(before) → \(after) \(terminal.status(change.status))")
            }
        }
    }

    static func exitCode(for code: AdminError.Code) -> Int32 {
        switch code {
        case .noManager: 69
        case .unauthorized, .refused: 77
        case .badRequest: 64
        default: 1
        }
    }

    private func parseTCP(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), port > 0, port < 65536 else { return nil }
        let host = String(text[..<colon]).trimmingCharacters(in: "[]")
        return host.isEmpty ? nil : (host, port)
    }
}

/// `--json` on commands that read.
struct OutputFormat: ParsableArguments {
    @Flag(name: .long, help: "Print the manager's reply as JSON.")
    var json = false
}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        return String(drop { characters.contains($0) }.reversed().drop { characters.contains($0) }.reversed())
    }
}
