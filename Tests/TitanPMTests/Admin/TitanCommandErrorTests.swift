import FoundationEssentials
import Glibc
import Testing
import TitanAdmin
import TitanAdminAPI
import TitanPMTestKit
import TitanTestServices
@testable import TitanPM

extension TitanPMTests.TitanCommand {
    @Test func aContractedServiceShowsItsManifestsPolicies() async throws {
        try await withAdmin { pm, admin in
            let book = try await pm.spawn(AccountBook.self)
            let text = try await titan(["service", "account-book", "--methods"], admin)
            #expect(text.exitCode == 0, "\(text)")
            #expect(text.stdout.contains("""
              deposit(account:amount:)  deposit(account: String, amount: Int) -> Int
                  @RateLimit(50 per 1 s, slidingWindow)
                  @Timeout(2 s)
            """), "\(text)")
            #expect(text.stdout.contains("interface hash: \(AccountBook.interfaceHash)"))
            let description = try decode(ServiceDescription.self, from: try await titan(["service", "account-book", "--json"], admin))
            #expect(description.methodsSource == "manifest")
            #expect(description.interfaceHash == AccountBook.interfaceHash.description)
            let deposit = try #require(description.methods.first { $0.name == "deposit(account:amount:)" })
            #expect(deposit.policies.contains { $0.hasPrefix("@RateLimit(50 per 1 s") }, "\(deposit.policies)")
            #expect(deposit.policies.contains("@Timeout(2 s)"), "\(deposit.policies)")
            #expect(deposit.invocable)
            #expect(description.methods.first { $0.name == "balance(of:)" }?.policies == [])
            let result = try await titan(["invoke", book.id.process.rawValue, "deposit", #"{"account": "a", "amount": 5}"#], admin)
            #expect(result.stdout == "5\n", "\(result)")
            #expect(try await book.balance(of: "a") == 5)
        }
    }

    // MARK: Errors: one line on standard error, a documented exit status

    @Test func noManagerThereExits69() async throws {
        let result = try await titan(["status", "--socket", "/tmp/titan-nowhere-\(getpid()).sock"], nil)
        #expect(result.exitCode == 69)
        #expect(result.stderr == "titan: no manager is listening at /tmp/titan-nowhere-\(getpid()).sock\n")
        #expect(result.stdout.isEmpty)
    }

    @Test func unknownNamesAndBadArgumentsFailClearly() async throws {
        try await withAdmin { pm, admin in
            let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(1)))
            let unknown = try await titan(["restart", "nope"], admin)
            #expect(unknown.exitCode == 1)
            #expect(unknown.stderr == "titan: no process, pool, supervisor or service named nope\n")
            for command in [["metrics", "nope"], ["scale", "nope", "2"], ["stop", "nope"], ["service", "nope"]] {
                let result = try await titan(command, admin)
                #expect(result.exitCode == 1, "\(command): \(result)")
                #expect(result.stderr.hasPrefix("titan: no ") && result.stderr.split(separator: "\n").count == 1, "\(command): \(result)")
            }
            let zero = try await titan(["scale", pool.id.rawValue, "0"], admin)
            #expect(zero.exitCode == 64)
            #expect(zero.stderr == "titan: a pool needs at least one worker; use `titan stop \(pool.id)` to stop it (see titan --help)\n", "\(zero)")
        let unknownOption = try await titan(["status", "--nope"], admin)
        #expect(unknownOption.exitCode == 64)
        #expect(unknownOption.stderr.hasPrefix("titan: unknown option '--nope'") && unknownOption.stderr.split(separator: "\n").count == 1, "\(unknownOption)")
            let badTimeout = try await titan(["stop", pool.id.rawValue, "--timeout", "soon"], admin)
            #expect(badTimeout.exitCode == 64)
            #expect(badTimeout.stderr.contains("--timeout takes a duration"), "\(badTimeout)")
            let badSignal = try await titan(["kill", pool.workers[0].rawValue, "--signal", "NOPE"], admin)
            #expect(badSignal.exitCode == 64)
            #expect(badSignal.stderr == "titan: unknown signal NOPE; use TERM, KILL, INT, HUP, QUIT, USR1, USR2, STOP, CONT or a number\n")
            let notAPool = try await titan(["kill", pool.id.rawValue], admin)
            #expect(notAPool.exitCode == 1)
            #expect(notAPool.stderr.hasPrefix("titan: \(pool.id) is a pool; name one of its workers"), "\(notAPool)")
            #expect(pool.stats.size == 1)
        }
    }

    @Test func aReadOnlyEndpointRefusesActionsWithExit77() async throws {
        try await withAdmin(AdminOptions(readOnly: true)) { pm, admin in
            let calc = try await pm.spawn(Calculator.self)
            let pid = pm.process(id: calc.id.process)?.pid
            let refused = try await titan(["restart", calc.id.process.rawValue], admin)
            #expect(refused.exitCode == 77)
            #expect(refused.stderr == "titan: this manager's admin endpoint is read-only; restart is refused\n")
            #expect(pm.process(id: calc.id.process)?.pid == pid)
            #expect(try await titan(["status"], admin).exitCode == 0, "reads still work")
            let events = try await titan(["events"], admin)
            #expect(events.stdout.contains("admin      \(calc.id.process) refused"), "the refusal is recorded: \(events)")
        }
    }

    @Test func anAuthorizerDecidesEachAction() async throws {
        let options = AdminOptions(authorize: { _, request in request.op != .stop })
        try await withAdmin(options) { pm, admin in
            let calc = try await pm.spawn(Calculator.self)
            let id = calc.id.process.rawValue
            let stop = try await titan(["stop", id], admin)
            #expect(stop.exitCode == 77)
            #expect(stop.stderr.hasPrefix("titan: stop \(id) is not allowed for unixSocket uid=\(geteuid()) pid="), "\(stop)")
            #expect(pm.process(id: calc.id.process)?.status == .running)
            #expect(try await titan(["restart", id], admin).exitCode == 0)
        }
    }
}

extension TitanPMTests.TitanCommand {
    @Test func followingEndsWhenTheManagerShutsDown() async throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let pm = ProcessManager()
        let admin = try pm.serveAdmin(AdminOptions(socketPath: "\(directory)/admin.sock"))
        defer { admin.stop() }
        _ = try await pm.spawn(Calculator.self)
        let follower = try await Subprocess.start(titanPath, ["events", "--follow", "--lines", "1", "--socket", admin.socketPath])
        _ = try await follower.line("the follower's first line") { !$0.isEmpty }
        await pm.shutdown()
        _ = try await follower.line("the shutdown in the stream") { $0.contains("shutDown") }
        let result = try await follower.finish(timeout: .seconds(20))
        #expect(result.exitCode == 0, "the stream ended and titan exited: \(result)")
    }
}
