import Glibc
import Logging
import ServiceLifecycle
import TitanAdmin
import TitanDashboard
import TitanPM

/// `titan-demo --serve [--port 8080] [--socket PATH]`: the demo's services keep running, with
/// a little load, the admin endpoint (for `titan`) and the dashboard open, until Ctrl-C.
func serve(_ arguments: [String]) async throws {
    func value(after flag: String) -> String? {
        arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
    }
    let port = value(after: "--port").flatMap(Int.init) ?? 8080
    var logger = Logger(label: "titan.demo")
    logger.logLevel = .info
    let pm = ProcessManager(logger: logger)

    let restarting = SpawnOptions(
        environment: ["SWIFT_BACKTRACE": "enable=no"],
        restartPolicy: .onFailure(maxRestarts: 5, within: .seconds(60), backoff: .constant(.milliseconds(200)))
    )
    let calculator = try await pm.spawn(Calculator.self, options: restarting)
    _ = try await pm.spawn(Thumbnailer.self, configuration: ThumbnailSettings(size: 4))
    let pool = try await pm.pool(
        Thumbnailer.self, configuration: ThumbnailSettings(size: 4),
        options: PoolOptions(size: .fixed(2), strategy: .leastConnections)
    )
    _ = try await pm.supervisor("demo", strategy: .oneForAll, intensity: 5, within: .seconds(30)) {
        Child(Calculator.self, id: "left")
        Child(Calculator.self, id: "right")
    }

    let admin = try pm.serveAdmin(AdminOptions(
        socketPath: value(after: "--socket"),
        services: [SpawnableService(Calculator.self, options: restarting)]
    ))
    let dashboard = try await admin.serveDashboard(DashboardOptions(port: port))
    print("""

    titan-demo is serving (manager pid \(getpid())). Look at it with:
      dashboard   \(dashboard.url)
      titan       swift run titan status --socket \(admin.socketPath)
                  swift run titan tree --socket \(admin.socketPath)
                  swift run titan monit --socket \(admin.socketPath)
                  swift run titan restart \(calculator.id.process) --socket \(admin.socketPath)
    Ctrl-C stops everything.

    """)
    fflush(nil)

    // A little traffic, so calls/s and CPU move, and a line in the calculator's output now and then.
    let load = Task {
        let image = (0..<(64 * 64)).map { UInt8(truncatingIfNeeded: $0) }
        var tick = 0
        while !Task.isCancelled {
            tick += 1
            _ = try? await calculator.add(tick, tick)
            _ = try? await pool.proxy.thumbnail(width: 64, height: 64, pixels: image)
            if tick % 15 == 0 { try? await calculator.note("tick \(tick)") }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }
    let group = ServiceGroup(configuration: ServiceGroupConfiguration(
        services: [pm, admin, dashboard], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
    ))
    try await group.run()
    load.cancel()
}
