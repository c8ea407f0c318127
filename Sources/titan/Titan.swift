import ArgumentParser
import Glibc

/// `titan`: look at and steer a running Titan process manager through its admin endpoint.
@main
struct Titan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan",
        abstract: "Look at and steer a running Titan process manager.",
        discussion: """
        titan talks to a manager that opened its admin endpoint (pm.serveAdmin()). It looks for \
        the socket at --socket, else $TITAN_SOCKET, else $XDG_RUNTIME_DIR/titan/admin.sock, else \
        /tmp/titan-<uid>/admin.sock; --tcp HOST:PORT with --token (or $TITAN_TOKEN) reaches a TCP endpoint.

        Exit status: 0 success; 1 the manager refused or failed the request (unknown name, \
        failed action); 64 bad arguments; 69 no manager there; 77 not allowed (wrong user, \
        missing token, read-only endpoint).
        """,
        subcommands: [
            Status.self, Pools.self, Tree.self, Services.self, ServiceInfo.self, Metrics.self,
            Logs.self, Events.self, Monit.self,
            Restart.self, Stop.self, Kill.self, Scale.self, Spawn.self, Invoke.self,
        ]
    )

    /// Like ArgumentParser's, but a usage error is one line on standard error (the help text
    /// only when asked for), as every other error of `titan` is.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            // --help and --version are "errors" that print and exit successfully.
            if code == .success { exit(withError: error) }
            Terminal.printError(message(for: error).lowercasingFirstLetter() + " (see titan --help)")
            Glibc.exit(code.rawValue)
        }
    }
}

extension String {
    /// `Unknown option '--x'` reads like the rest of titan's errors.
    func lowercasingFirstLetter() -> String {
        guard let first else { return self }
        return first.lowercased() + dropFirst()
    }
}
