import FoundationEssentials
import Glibc
import Testing
import TitanAdmin
import TitanAdminAPI
import TitanPMTestKit
import TitanTestServices
@testable import TitanPM

extension TitanPMTests {
    /// The real `titan` executable, run as a subprocess against a live manager.
    @Suite struct TitanCommand {
        @Test func statusPrintsTheProcessTablePlainWhenPipedAndAsJSON() async throws {
            try await withAdmin { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(2)))
                let table = try await titan(["status"], admin)
                #expect(table.exitCode == 0, "\(table)")
                let lines = table.stdout.split(separator: "\n")
                #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) ==
                    ["ID", "SERVICE", "VERSION", "PID", "STATUS", "UPTIME", "RESTARTS", "CPU", "RSS", "CALLS/S"])
                for info in pm.processes {
                    let row = try #require(lines.first { $0.hasPrefix(info.id.rawValue + " ") }, "no row for \(info.id)")
                    #expect(row.contains(" \(info.pid!) "), "\(row)")
                    #expect(row.contains(" running "), "\(row)")
                    #expect(row.contains("MiB"), "\(row)")
                }
                #expect(lines.count == 1 + 3)
                #expect(!hasEscapes(table.stdout), "piped output must be plain")

                let coloured = try await titan(["status", "--color", "always"], admin)
                #expect(hasEscapes(coloured.stdout))

                let json = try decode(StatusReport.self, from: try await titan(["status", "--json"], admin))
                #expect(json.manager == getpid())
                #expect(Set(json.processes.map(\.id)) == Set(pm.processes.map(\.id.rawValue)))
                let calcRow = try #require(json.processes.first { $0.id == calc.id.process.rawValue })
                #expect(calcRow.pid == pm.process(id: calc.id.process)?.pid)
                #expect(calcRow.service == "calculator")
                #expect(calcRow.version == Calculator.version)
                #expect(calcRow.status == "running")
                #expect((calcRow.residentBytes ?? 0) > 1 << 20)
                #expect(calcRow.pool == nil)
                for worker in pool.workers {
                    #expect(json.processes.first { $0.id == worker.rawValue }?.pool == pool.id.rawValue)
                }
            }
        }

        @Test func statusShowsCPUAndCallsPerSecondOnceSampled() async throws {
            try await withAdmin(AdminOptions(sampleInterval: .milliseconds(100))) { pm, admin in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(1)))
                let worker = try #require(pool.workers.first)
                let calc = try await pm.spawn(Calculator.self)
                // Busy the worker and the calculator, so their CPU and call rates are above zero.
                let load = Task {
                    while !Task.isCancelled {
                        _ = try? await pool.proxy.burn(milliseconds: 20)
                        _ = try? await calc.add(1, 1)
                    }
                }
                defer { load.cancel() }
                let rows = try await within(.seconds(30), "a sample with CPU and calls/s") {
                    while true {
                        let report = try decode(StatusReport.self, from: try await titan(["status", "--json"], admin))
                        if let row = report.processes.first(where: { $0.id == worker.rawValue }),
                           let calculator = report.processes.first(where: { $0.id == calc.id.process.rawValue }),
                           (row.cpuPercent ?? 0) > 1, (row.callsPerSecond ?? 0) > 1, (calculator.callsPerSecond ?? 0) > 1 {
                            return (row, calculator)
                        }
                    }
                }
                #expect(rows.0.cpuPercent! <= 200)
            }
        }

        @Test func restartChangesThePid() async throws {
            try await withAdmin { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let id = calc.id.process
                let before = try #require(pm.process(id: id)?.pid)
                let result = try await titan(["restart", id.rawValue], admin)
                #expect(result.exitCode == 0, "\(result)")
                let after = try #require(pm.process(id: id)?.pid)
                #expect(after != before)
                #expect(result.stdout.contains("restarted \(id): pid \(before) → \(after)"), "\(result)")
                #expect(pm.process(id: id)?.restarts == 1)
                #expect(try await calc.pid() == after)
            }
        }

        @Test func rollingRestartOfAProcessReloadsIt() async throws {
            try await withAdmin { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let id = calc.id.process
                let before = try #require(pm.process(id: id)?.pid)
                let events = EventRecorder(pm)
                let result = try await titan(["restart", id.rawValue, "--rolling"], admin)
                #expect(result.exitCode == 0, "\(result)")
                let after = try #require(pm.process(id: id)?.pid)
                #expect(after != before)
                #expect(result.stdout.contains("reloaded \(id) without downtime: pid \(before) → \(after)"), "\(result)")
                #expect(pm.process(id: id)?.restarts == 0, "a reload, not a restart")
                try await events.first("switched") { $0.process == id && $0.reload == .switched }
                #expect(try await calc.add(2, 3) == 5)
            }
        }

        @Test func rollingRestartOfAPoolReplacesEveryWorker() async throws {
            try await withAdmin { pm, admin in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(2)))
                let before = Set(pool.stats.workers.compactMap(\.pid))
                let result = try await titan(["restart", pool.id.rawValue, "--rolling"], admin)
                #expect(result.exitCode == 0, "\(result)")
                let after = Set(pool.stats.workers.compactMap(\.pid))
                #expect(after.count == 2)
                #expect(after.isDisjoint(with: before))
                #expect(result.stdout.contains("replaced 2 worker(s) of \(pool.id) one at a time"), "\(result)")
            }
        }

        @Test func scaleChangesThePoolsSize() async throws {
            try await withAdmin { pm, admin in
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(1)))
                let up = try await titan(["scale", pool.id.rawValue, "3"], admin)
                #expect(up.exitCode == 0, "\(up)")
                #expect(pool.stats.size == 3)
                #expect(up.stdout.hasPrefix("scaled \(pool.id) from 1 to 3 worker(s)"), "\(up)")
                let pools = try decode([PoolReport].self, from: try await titan(["pools", "--json"], admin))
                #expect(pools.first?.workers.count == 3)

                let events = EventRecorder(pool)
                let down = try await titan(["scale", PoolWorkerService.name, "2"], admin)
                #expect(down.exitCode == 0, "\(down)")
                try await events.first("a worker retired", timeout: .seconds(20)) { $0.kind == .workerRetired }
                #expect(pool.stats.size == 2)
            }
        }

        @Test func stopAndKillActOnTheProcess() async throws {
            try await withAdmin { pm, admin in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(restartPolicy: .always(maxRestarts: 3)))
                let other = try await pm.spawn(Calculator.self)
                let id = calc.id.process
                let pid = try #require(pm.process(id: id)?.pid)
                let events = EventRecorder(pm)

                let killed = try await titan(["kill", id.rawValue, "--signal", "TERM"], admin)
                #expect(killed.exitCode == 0, "\(killed)")
                #expect(killed.stdout.contains("sent SIGTERM to \(id) (pid \(pid))"), "\(killed)")
                // SIGTERM lets the child shut down cleanly (exit 0); the policy restarts it anyway.
                try await events.first("the kill's exit", timeout: .seconds(20)) { $0.process == id && $0.pid == pid && ($0.status == .stopped || $0.status == .crashed) }
                let recovered = try await pm.awaitRecovery(of: id)
                #expect(recovered.pid != pid)

                let stopped = try await titan(["stop", other.id.process.rawValue, "--timeout", "2s"], admin)
                #expect(stopped.exitCode == 0, "\(stopped)")
                #expect(pm.process(id: other.id.process)?.status == .stopped)
                #expect(stopped.stdout.hasPrefix("stopped \(other.id.process)"), "\(stopped)")
            }
        }

        @Test func treeShowsSupervisorsPoolsAndProcesses() async throws {
            try await withAdmin { pm, admin in
                let root = try await pm.supervisor("root", strategy: .oneForOne) {
                    Child(Calculator.self, id: "db")
                    Child(PoolWorkerService.self, pool: 2, id: "workers")
                    Supervisor("jobs") { Child(Greeter.self) }
                }
                let lone = try await pm.spawn(Streamer.self)
                let text = try await titan(["tree"], admin)
                #expect(text.exitCode == 0, "\(text)")
                let lines = text.stdout.split(separator: "\n").map(String.init)
                #expect(lines[0] == "manager \(pm.actorSystem.processID) pid \(getpid())")
                #expect(lines[1] == "├─ supervisor root [oneForOne]")
                #expect(lines.contains { $0.hasPrefix("│  ├─ db (") && $0.contains("running pid") })
                #expect(lines.contains { $0.contains("pool workers of pool-worker, 2 worker(s)") })
                #expect(lines.contains { $0.contains("supervisor jobs") })
                #expect(lines.contains { $0.contains("greeter (") })
                #expect(lines.last?.hasPrefix("└─ \(lone.id.process) running pid") == true, "\(text)")

                let tree = try decode(TreeNode.self, from: try await titan(["tree", "--json"], admin))
                let supervisor = try #require(tree.children.first { $0.kind == .supervisor })
                #expect(supervisor.name == "root" && supervisor.id == root.id.rawValue)
                #expect(supervisor.children.map(\.name) == ["db", "workers", "jobs"])
                #expect(supervisor.children[1].children.count == 2)
                #expect(supervisor.children[2].children.first?.detail == "greeter")
                #expect(tree.children.last?.id == lone.id.process.rawValue)
            }
        }

        @Test func servicesAndTheirMethods() async throws {
            try await withAdmin(AdminOptions(services: [SpawnableService(Greeter.self)])) { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let list = try await titan(["services"], admin)
                #expect(list.exitCode == 0, "\(list)")
                #expect(list.stdout.contains("calculator"), "\(list)")
                let rows = try decode([ServiceRow].self, from: try await titan(["services", "--json"], admin))
                #expect(rows.first { $0.name == "greeter" }?.spawnable == true)
                let calculator = try #require(rows.first { $0.name == "calculator" })
                #expect(calculator.type == "TitanTestServices.Calculator")
                #expect(calculator.instances == [calc.id.process.rawValue])

                let methods = try await titan(["service", "calculator", "--methods"], admin)
                #expect(methods.exitCode == 0, "\(methods)")
                #expect(methods.stdout.contains("  add(_:_:)  add(Int, Int) -> Int"), "\(methods)")
                #expect(methods.stdout.contains("  divide(_:by:)  divide(Int, by: Int) -> Int"), "\(methods)")
                #expect(methods.stdout.contains("  mirror(_:)  mirror(TitanTestServices.Point) -> TitanTestServices.Point"), "\(methods)")
                #expect(methods.stdout.contains("generic: JSON cannot name its type arguments"), "\(methods)")

                let description = try decode(ServiceDescription.self, from: try await titan(["service", "calculator", "--methods", "--json"], admin))
                #expect(description.methodsSource == "runtime")
                let divide = try #require(description.methods.first { $0.name == "divide(_:by:)" })
                #expect(divide.parameters == [ParameterInfo(label: nil, type: "Int"), ParameterInfo(label: "by", type: "Int")])
                #expect(divide.result == "Int" && divide.invocable)
                #expect(description.methods.first { $0.name == "echo(_:)" }?.invocable == false)
                let streamer = try decode(ServiceDescription.self, from: try await titan(["service", "greeter", "--json"], admin))
                #expect(streamer.methods.map(\.name) == ["greet(_:)"])
            }
        }

        @Test func invokeCallsAMethodWithJSONArguments() async throws {
            try await withAdmin { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let id = calc.id.process.rawValue
                let sum = try await titan(["invoke", id, "add(_:_:)", "[2, 3]"], admin)
                #expect(sum.exitCode == 0, "\(sum)")
                #expect(sum.stdout == "5\n")
                let point = try await titan(["invoke", id, "mirror", #"{"x": 1, "y": 2}"#, "--json"], admin)
                let report = try decode(InvokeReport.self, from: point)
                #expect(report.result == .object(["x": .integer(-1), "y": .integer(-2)]))
                let none = try await titan(["invoke", id, "maybe(_:)", "null"], admin)
                #expect(none.stdout == "null\n", "\(none)")
                #expect(try await titan(["invoke", id, "sum", "[[1, 2, 3]]"], admin).stdout == "6\n")
                #expect(try await calc.callCount() == 1, "the add ran in the child")

                let thrown = try await titan(["invoke", id, "divide", "[1, 0]"], admin)
                #expect(thrown.exitCode == 1)
                #expect(thrown.stderr.hasPrefix("titan: divide(_:by:) threw"), "\(thrown)")
                let generic = try await titan(["invoke", id, "echo", "1"], admin)
                #expect(generic.exitCode == 1)
                #expect(generic.stderr.contains("cannot be called with JSON: generic"), "\(generic)")
                let wrongType = try await titan(["invoke", id, "add", #"["a", 1]"#], admin)
                #expect(wrongType.exitCode == 64)
                #expect(wrongType.stderr == "titan: argument _ is not a valid Int: \"a\"\n", "\(wrongType)")
            }
        }

        @Test func metricsSnapshotOfAProcess() async throws {
            try await withAdmin { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let id = calc.id.process.rawValue
                for n in 0..<5 { _ = try await calc.add(n, n) }
                _ = try? await calc.divide(1, by: 0)
                let text = try await titan(["metrics", id], admin)
                #expect(text.exitCode == 0, "\(text)")
                #expect(text.stdout.hasPrefix("process      \(id)\n"), "\(text)")
                let metrics = try decode(MetricsReport.self, from: try await titan(["metrics", id, "--json"], admin))
                #expect(metrics.pid == pm.process(id: calc.id.process)?.pid)
                #expect((metrics.residentBytes ?? 0) > 1 << 20)
                #expect((metrics.threads ?? 0) >= 2)
                #expect((metrics.openDescriptors ?? 0) >= 3)
                #expect(metrics.cpuSeconds != nil)
                #expect(metrics.status == "running")
                // Calls as the process itself recorded them.
                #expect(metrics.source == "metrics")
                #expect(metrics.calls == 6 && metrics.errors == 1, "\(metrics)")
                let add = try #require(metrics.methods.first { $0.method.hasPrefix("add") }, "\(metrics.methods)")
                #expect(add.calls == 5 && add.errors == 0 && add.latencyP50 != nil)
                #expect(metrics.methods.first { $0.method.hasPrefix("divide") }?.errors == 1)
                #expect(text.stdout.contains("calls        6\n"), "\(text)")
            }
        }

        @Test func spawnStartsARegisteredServiceByName() async throws {
            try await withAdmin(AdminOptions(services: [SpawnableService(Calculator.self)])) { pm, admin in
                let result = try await titan(["spawn", "calculator"], admin)
                #expect(result.exitCode == 0, "\(result)")
                let info = try #require(pm.processes.first { $0.name == "calculator" })
                #expect(info.status == .running)
                #expect(result.stdout.hasPrefix("spawned \(info.id) (pid \(info.pid!))"), "\(result)")
                let unknown = try await titan(["spawn", "nothing"], admin)
                #expect(unknown.exitCode == 1)
                #expect(unknown.stderr == "titan: no service named nothing may be spawned here; spawnable: calculator\n")
            }
        }

        @Test func eventsListAndFollowWhatHappens() async throws {
            try await withAdmin { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let id = calc.id.process.rawValue
                let follower = try await Subprocess.start(titanPath, ["events", "--follow", "--lines", "1"], environment: [AdminEndpoint.socketVariable: admin.socketPath])
                // Its first line (the last past event) says it is subscribed; what happens
                // from then on shows up in it as it happens.
                _ = try await follower.line("the follower's first line") { !$0.isEmpty }
                _ = try await titan(["restart", id], admin)
                let restarting = try await follower.line("the restart in the live stream") { $0.contains("process    \(id) restarting") }
                #expect(restarting.contains("restart requested"))
                _ = try await follower.line("the admin record of it") { $0.contains("admin      \(id) restart") }
                follower.signal(SIGTERM)
                _ = try await follower.finish()

                let past = try await titan(["events", "--json"], admin)
                let events = past.stdout.split(separator: "\n").map { try? JSONDecoder().decode(AdminEvent.self, from: Data($0.utf8)) }
                #expect(events.allSatisfy { $0 != nil }, "\(past)")
                let kinds = events.compactMap { $0 }.filter { $0.subject == id }.map(\.kind)
                #expect(kinds.contains("restarting") && kinds.contains("running") && kinds.contains("restart"), "\(kinds)")
                let sequences = events.compactMap { $0?.sequence }
                #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)
            }
        }

        @Test func monitRedrawsInPlaceInATerminal() async throws {
            try await withAdmin { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                // `script` gives titan a pseudo-terminal, as a person's shell would.
                let command = "\(titanPath) monit --iterations 2 --interval 0.2 --socket \(admin.socketPath)"
                let result = try await Subprocess.run("/usr/bin/script", ["-qec", command, "/dev/null"])
                #expect(result.exitCode == 0, "\(result)")
                let clear = "\u{1B}[H\u{1B}[2J"
                #expect(result.stdout.split(separator: clear, omittingEmptySubsequences: false).count == 3, "two frames, each drawn from the top")
                #expect(result.stdout.contains("frame 2"))
                #expect(result.stdout.contains(calc.id.process.rawValue))
                #expect(result.stdout.contains("\u{1B}[?25h"), "the cursor is shown again")

                let piped = try await titan(["monit", "--iterations", "1"], admin)
                #expect(piped.exitCode == 0)
                #expect(!hasEscapes(piped.stdout))
                #expect(piped.stdout.contains("titan monit  manager pid \(getpid())  1/1 running"), "\(piped)")
            }
        }

        @Test func logsShowRecentLinesAndFollowOnesPrintedAfterTheCommandStarted() async throws {
            try await withAdmin { pm, admin in
                let talker = try await pm.spawn(Talker.self)
                let id = talker.id.process.rawValue
                try await talker.say("an earlier line")
                let follower = try await Subprocess.start(titanPath, ["logs", id, "--follow", "--lines", "10"], environment: [AdminEndpoint.socketVariable: admin.socketPath])
                // The earlier line (kept, or arriving live) says the follower is reading.
                _ = try await follower.line("the earlier line") { $0.hasSuffix(" \(id)| an earlier line") }
                let marker = "printed after titan logs started, \(UInt64.random(in: 0...UInt64.max))"
                try await talker.say(marker)
                let line = try await follower.line("the line printed after the command started") { $0.hasSuffix(marker) }
                #expect(line.contains(" \(id)| "), "\(line)")
                follower.signal(SIGTERM)
                _ = try await follower.finish()

                let past = try await titan(["logs", id, "--lines", "5", "--json"], admin)
                #expect(past.exitCode == 0, "\(past)")
                let entries = try past.stdout.split(separator: "\n").map { try JSONDecoder().decode(LogEntry.self, from: Data($0.utf8)) }
                #expect(entries.map(\.text).suffix(2) == ["an earlier line", marker])
                #expect(entries.allSatisfy { $0.stream == "stdout" && $0.process == id && $0.pid == pm.process(id: talker.id.process)?.pid })
                let hello = try AdminClient(.unix(admin.socketPath)).request(AdminRequest(op: .hello), as: ManagerReport.self)
                #expect(hello.logsAvailable && hello.metricsSource == "metrics")
            }
        }

        @Test func logsSayWhenTheManagerCapturesNoOutput() async throws {
            try await withAdmin(observability: .disabled) { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let result = try await titan(["logs", calc.id.process.rawValue], admin)
                #expect(result.exitCode == 1)
                #expect(result.stderr == "titan: this manager does not capture its processes' output\n", "\(result)")
            }
        }
    }
}
