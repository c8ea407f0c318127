import FoundationEssentials
import Glibc
import Testing
import TitanAdmin
import TitanAdminAPI
import TitanDashboard
import TitanPMTestKit
import TitanProcess
import TitanTestServices
@testable import TitanPM

/// Chromium, its WebDriver and Python's selenium: Debian's `chromium`, `chromium-driver` and
/// `python3-selenium`, which `.ci/run` installs and then requires with TITAN_REQUIRE_BROWSER=1.
private let browserAvailable: Bool = {
    if getenv("TITAN_REQUIRE_BROWSER") != nil { return true }
    return access("/usr/bin/chromium", X_OK) == 0 && access("/usr/bin/chromedriver", X_OK) == 0
        && access("/usr/lib/python3/dist-packages/selenium", R_OK) == 0
}()

private struct Step: Decodable {
    var step: String?
    var error: String?
    var processes: [String: Int32]?
    var process: String?
    var pid: Int32?
    var reloaded: Bool?
    var before: Int32?
    var after: Int32?
    var kinds: [String]?
    var result: String?
    var ok: Bool?
    var path: String?
    var pool: String?
    var workers: Int?
}

extension TitanPMTests {
    @Suite struct DashboardInABrowser {
        @Test(.enabled(if: browserAvailable, "needs chromium, chromium-driver and python3-selenium (.ci/run installs them)"))
        func aRealBrowserWatchesProcessesAndTheirLogsRestartsOneScalesAPoolAndCallsAMethod() async throws {
            let directory = try makeTemporaryDirectory(mode: 0o755)
            defer { removeTree(directory) }
            let screenshot = getenv("TITAN_SCREENSHOT").map { String(cString: $0) } ?? "\(directory)/dashboard.png"
            try await withAdmin(AdminOptions(sampleInterval: .milliseconds(500))) { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let pool = try await pm.pool(PoolWorkerService.self, options: PoolOptions(size: .fixed(2)))
                _ = try await pm.supervisor("root") { Child(Greeter.self) }
                let talker = try await pm.spawn(Talker.self)
                try await talker.say("an earlier line")
                let load = Task {
                    while !Task.isCancelled {
                        _ = try? await pool.proxy.work(1)
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
                defer { load.cancel() }
                try await withDashboard(admin, DashboardOptions(port: 0)) { dashboard in
                    let id = calc.id.process.rawValue
                    let expected = [id] + pool.workers.map(\.rawValue)
                    let driver = try await Subprocess.start("/usr/bin/python3", [
                        "\(packageRoot)/Tests/Browser/drive_dashboard.py", "--url", dashboard.url,
                        "--expect", expected.joined(separator: ","), "--restart", id,
                        "--log", "\(talker.id.process)|an earlier line", "--scale", "\(pool.id)|3", "--invoke", "calculator|add(_:_:)|[2, 3]|5", "--screenshot", screenshot,
                    ])
                    func next(_ what: String) async throws -> Step {
                        let line = try await driver.line(what, timeout: .seconds(90)) { $0.hasPrefix("{") }
                        let step = try JSONDecoder().decode(Step.self, from: Data(line.utf8))
                        if let error = step.error { Issue.record("the browser failed at \(what): \(error)") }
                        return step
                    }

                    let listed = try await next("the page to list the processes")
                    for process in expected {
                        #expect(listed.processes?[process] == pm.process(id: ProcessID(process))?.pid, "\(process)")
                    }

                    #expect(try await next("the page to wait for a spawn").step == "spawn?")
                    let spawned = try await pm.spawn(Calculator.self)
                    driver.send(spawned.id.process.rawValue)
                    let appeared = try await next("the new process to appear")
                    #expect(appeared.process == spawned.id.process.rawValue)
                    #expect(appeared.pid == pm.process(id: spawned.id.process)?.pid)
                    #expect(appeared.reloaded == false, "it appeared without a reload")

                    let restarted = try await next("the restart button to change the pid")
                    #expect(restarted.before != restarted.after)
                    #expect(restarted.after == pm.process(id: calc.id.process)?.pid, "the page shows the new incarnation")
                    #expect(pm.process(id: calc.id.process)?.restarts == 1)

                    let events = try await next("the events view to show the restart")
                    #expect(Set(events.kinds ?? []).isSuperset(of: ["restarting", "running", "restart"]))

                    #expect(try await next("the log pane to show the earlier line").step == "log?")
                    let marker = "written while the page watched, \(UInt64.random(in: 0...UInt64.max))"
                    try await talker.say(marker)
                    driver.send(marker)
                    let logged = try await next("the new line in the log pane")
                    #expect(logged.step == "logged" && logged.result == marker)

                    let scaled = try await next("the scale button to grow the pool")
                    #expect(scaled.pool == pool.id.rawValue && scaled.workers == 3)
                    #expect(pool.stats.size == 3)

                    let invoked = try await next("the service explorer to call add(_:_:)")
                    #expect(invoked.ok == true, "result: \(invoked.result ?? "none")")

                    let shot = try await next("the screenshot")
                    #expect(shot.path == screenshot)
                    #expect(try await next("the end").step == "done")
                    let result = try await driver.finish(timeout: .seconds(60))
                    #expect(result.exitCode == 0, "\(result)")
                    let png = try #require(ProcFS.read(screenshot))
                    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
                    #expect(png.count > 20_000)
                }
            }
        }
    }
}
