// The README's examples that run inside a program, each in a function of its own. Blocks the
// README shows are copied here verbatim; ReadmeTests fails if one is not.
import Distributed
import Glibc
import Greetings
import TitanPM
import TitanWorkflows

/// Spawning by name: the parent, which links only the `Greeting` protocol.
func spawnByName(greeterHost: String) async throws {
    let pm = ProcessManager()
    let greeter = try await pm.spawn(service: "greeter", as: $Greeting.self,
                                     options: SpawnOptions(executable: greeterHost))
    print(try await greeter.greet("titan"))     // hello titan
    await pm.shutdown()
}

/// Streaming.
func streaming(pm: ProcessManager) async throws {
    let numbers = try await pm.spawn(Numbers.self)
    for try await n in try await numbers.numbers(upTo: 1_000).window(64) {
        print(n)
    }
}

/// Pools.
func pools(pm: ProcessManager, image: [UInt8], userID: String) async throws {
    let pool = try await pm.pool(Resizer.self, options: PoolOptions(size: .fixed(4), strategy: .leastConnections))
    let small = try await pool.proxy.resize(image)                         // routed per call
    let load = try await pool.withKey(userID) { try await pool.proxy.load() } // consistent hash / sticky
    let both = try await pool.execute { worker in                          // several calls, one worker
        [try await worker.resize(image), try await worker.resize(small)]
    }
    _ = (load, both)
}

/// Zero-downtime reload.
func reloads(pm: ProcessManager, image: [UInt8]) async throws {
    let resizer = try await pm.spawn(Resizer.self)
    let report = try await pm.reload(resizer.id.process)              // same program, new pid
    try await pm.reload(resizer.id.process, options: ReloadOptions(executable: "/srv/app/v2/my-server"))
    let pool = try await pm.pool(Resizer.self, options: PoolOptions(size: .fixed(4)))
    try await pool.reload()                                           // worker by worker, surge first
    let hangup = try pm.reloadOnHangup([resizer.id.process, pool.id]) // `kill -HUP <manager pid>`
    defer { hangup.cancel() }
    _ = (report, try await resizer.resize(image))
}

/// Supervision trees.
func supervision(pm: ProcessManager) async throws {
    let root = try await pm.supervisor(strategy: .oneForOne, intensity: 3, within: .seconds(60),
                                       backoff: .exponential()) {
        Child(Database.self, restart: .permanent, critical: true)
        Child(Worker.self, pool: 4)
        Supervisor("jobs", strategy: .restForOne) {
            Child(Fetcher.self)
            Child(Parser.self, restart: .transient)
        }
    }
    let db = try await root.reference(Database.self)   // survives restarts
    try await root.waitForTermination()                // throws if the tree gives up
    _ = db
}

/// Workflows.
func workflows(pm: ProcessManager, inventory: Inventory, payments: Payments, shipping: Shipping, order: Order) async throws {
    let orders = try await pm.workflow(OrderProcessing(inventory: inventory, payments: payments, shipping: shipping),
                                       journalPath: "/var/lib/shop/runs.sqlite")
    let tracking = try await orders.run(order)        // or: let id = try await orders.start(order)
    for await event in orders.events { print(event) } // stage started/completed/failed/skipped/retried, compensations, run end
    _ = tracking
}

/// Interceptors.
func interceptors(pm: ProcessManager) {
    pm.actorSystem.addInterceptor(Tenant())           // every call this manager makes
}

/// The path of `name` in this program's directory.
func siblingExecutable(_ name: String) -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let path = String(decoding: buffer[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/" + name
}
