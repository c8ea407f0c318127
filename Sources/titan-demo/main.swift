import Distributed
import Glibc
import TitanPM

// titan-demo: services in child processes, typed calls, a crash, a restart, the process
// table, a stream, a pool, a supervisor, method policies, a clean shutdown. Run it with
// `swift run titan-demo`; `swift run titan-demo --serve` keeps services running with the
// admin endpoint and the dashboard open (see Serve.swift).

/// Arithmetic, and one function that traps the way a force-unwrap of nil does.
distributed actor Calculator: ProcessService {
    static let name = "calculator"
    static let version = "1.0.0"

    enum Failure: Error, Codable {
        case divisionByZero
    }

    distributed func add(_ a: Int, _ b: Int) -> Int { a + b }

    distributed func divide(_ a: Int, by b: Int) throws -> Int {
        guard b != 0 else { throw Failure.divisionByZero }
        return a / b
    }

    distributed func pid() -> Int32 { getpid() }

    /// The primes below `limit`, streamed as they are found.
    distributed func primes(below limit: Int) -> RemoteStream<Int> {
        RemoteStream { out in
            var found: [Int] = []
            for n in 2..<max(limit, 2) where !found.contains(where: { $0 * $0 <= n && n % $0 == 0 }) {
                found.append(n)
                try await out.yield(n)
            }
        }
    }

    /// Writes a line to the child's standard output (what `titan logs` shows).
    distributed func note(_ text: String) {
        print("[calculator pid \(getpid())] \(text)")
        fflush(nil)
    }

    distributed func crash() {
        let missing: Int? = nil
        print("  [calculator pid \(getpid())] about to force-unwrap nil")
        _ = missing!
    }
}

struct ThumbnailSettings: Codable, Sendable {
    var size: Int
}

/// Downscales a greyscale image by averaging blocks: "heavy work" kept out of the caller.
distributed actor Thumbnailer: ProcessService {
    typealias Configuration = ThumbnailSettings
    static let name = "thumbnailer"
    static let version = "0.3.0"

    private var size = 0

    func configure(_ settings: ThumbnailSettings) async throws {
        size = settings.size
    }

    func shutdown() async {
        print("  [thumbnailer pid \(getpid())] shutdown hook: flushing and closing")
    }

    distributed func pid() -> Int32 { getpid() }

    distributed func thumbnail(width: Int, height: Int, pixels: [UInt8]) -> [UInt8] {
        let blockX = max(width / size, 1), blockY = max(height / size, 1)
        var out = [UInt8](repeating: 0, count: size * size)
        for ty in 0..<size {
            for tx in 0..<size {
                var sum = 0
                for y in (ty * blockY)..<min((ty + 1) * blockY, height) {
                    for x in (tx * blockX)..<min((tx + 1) * blockX, width) { sum += Int(pixels[y * width + x]) }
                }
                out[ty * size + tx] = UInt8(sum / (blockX * blockY))
            }
        }
        return out
    }
}

// In a child this hosts the requested service and never returns.
ProcessManager.bootstrap()

if CommandLine.arguments.contains("--serve") {
    try await serve(CommandLine.arguments)
    exit(0)
}

/// Prints and flushes, so the children's lines (they share stdout) interleave in order.
func say(_ line: String = "") {
    print(line)
    fflush(nil)
}

let pm = ProcessManager()
let events = pm.events
let log = Task {
    var lines: [String] = []
    for await event in events { lines.append("  \(event)") }
    return lines
}

func printTable(_ title: String) {
    say("\n\(title)")
    say("  ID               PID      NAME          VERSION  STATUS      RESTARTS  RSS")
    for p in pm.processes {
        let pid = p.pid.map(String.init) ?? "-"
        let rss = p.residentMemory.map { "\($0 / 1024) KiB" } ?? "-"
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        say("  \(pad(p.id.rawValue, 16)) \(pad(pid, 8)) \(pad(p.name, 13)) \(pad(p.version, 8)) \(pad(p.status.rawValue, 11)) \(pad(String(p.restarts), 9)) \(rss)")
    }
}

say("titan-demo: parent pid \(getpid())\n")
let calc = try await pm.spawn(
    Calculator.self,
    options: SpawnOptions(
        // The crash below is on purpose: spare the terminal the Swift runtime's backtrace.
        environment: ["SWIFT_BACKTRACE": "enable=no"],
        restartPolicy: .onFailure(maxRestarts: 3, within: .seconds(60), backoff: .constant(.milliseconds(100)))
    )
)
let thumbnailer = try await pm.spawn(Thumbnailer.self, configuration: ThumbnailSettings(size: 4))

let childPID = try await calc.pid()
say("calculator (pid \(childPID)): 2 + 3 = \(try await calc.add(2, 3))")
do {
    _ = try await calc.divide(1, by: 0)
} catch Calculator.Failure.divisionByZero {
    say("calculator: 1 / 0 threw Calculator.Failure.divisionByZero, as its own type")
}

let image = (0..<(64 * 64)).map { UInt8(truncatingIfNeeded: ($0 % 64) * 4) }
let thumb = try await thumbnailer.thumbnail(width: 64, height: 64, pixels: image)
say("thumbnailer: 64x64 image -> \(thumb.count) pixels, first row \(Array(thumb.prefix(4)))")

printTable("process table:")

say("\ncrashing the calculator...")
do {
    try await calc.crash()
} catch let error as ProcessError {
    say("the call failed with ProcessError: \(error)")
}
// The same reference works again once the restart policy has brought the service back.
let sum = try await calc.add(40, 2)
say("after the restart, the same reference: 40 + 2 = \(sum), now in pid \(try await calc.pid())")

printTable("process table after the crash:")

say("\nstreaming: calculator.primes(below: 10_000)")
var primeCount = 0
var lastPrimes: [Int] = []
for try await prime in try await calc.primes(below: 10_000) {
    primeCount += 1
    lastPrimes = Array((lastPrimes + [prime]).suffix(3))
}
say("  \(primeCount) primes arrived in order, the last ones \(lastPrimes)")

say("\na pool of 3 thumbnailers (least connections), 60 images in parallel:")
let pool = try await pm.pool(
    Thumbnailer.self, configuration: ThumbnailSettings(size: 4),
    options: PoolOptions(size: .fixed(3), strategy: .leastConnections)
)
try await withThrowingTaskGroup(of: Void.self) { group in
    for _ in 0..<60 {
        group.addTask { _ = try await pool.proxy.thumbnail(width: 64, height: 64, pixels: image) }
    }
    try await group.waitForAll()
}
let stats = pool.stats
say("  \(stats)")
for worker in stats.workers {
    say("  worker \(worker.id) pid \(worker.pid ?? 0): \(worker.processed) calls")
}

say("\na one-for-all supervisor over two calculators; killing one restarts both:")
let supervisor = try await pm.supervisor("demo", strategy: .oneForAll, intensity: 3, within: .seconds(10)) {
    Child(Calculator.self, id: "left", options: SpawnOptions(environment: ["SWIFT_BACKTRACE": "enable=no"]))
    Child(Calculator.self, id: "right")
}
let supervisorEvents = supervisor.events
let before = await supervisor.children
say("  before: " + before.map { "\($0.id) pid \($0.pid ?? 0)" }.joined(separator: ", "))
// Through the manager, which signals the child's pidfd: never a raw pid that may have been reused.
if let left = before[0].process { try pm.kill(left) }
for await event in supervisorEvents {
    if case .restarted(_, let cause, let children) = event {
        say("  \(cause) was killed; restarted \(children)")
        break
    }
}
let after = await supervisor.children
say("  after:  " + after.map { "\($0.id) pid \($0.pid ?? 0) restarts \($0.restarts)" }.joined(separator: ", "))
let right = try await supervisor.reference(Calculator.self, id: "right")
say("  the reference to right still works: 20 + 22 = \(try await right.add(20, 22))")

say("\nmethod policies (@ServiceContract): an inventory with a cache, validation, idempotency and a rate limit")
let inventory = try await pm.spawn(Inventory.self)
for _ in 0..<3 { _ = try await inventory.stock(of: "apple") }
let cache = try await pm.cacheStatistics(of: inventory.id.process)["stock(of:)"]
say("  stock(of: apple) three times: the method ran \(try await inventory.counters()["lookups"] ?? 0) time(s); cache hits \(cache?.hits ?? 0), misses \(cache?.misses ?? 0)")
do {
    _ = try await inventory.reserve(item: "apple!", quantity: 50, orderID: "A-1")
} catch let error as PolicyError where error.code == .validationFailed {
    say("  reserve(item: \"apple!\", quantity: 50) refused before it ran:")
    for failure in error.failures { say("    \(failure.field): \(failure.reason)") }
}
let left = try await inventory.reserve(item: "apple", quantity: 2, orderID: "A-2")
let again = try await inventory.reserve(item: "apple", quantity: 2, orderID: "A-2")
say("  order A-2 sent twice: \(left) and \(again) apples left, reserved \(try await inventory.counters()["reservations"] ?? 0) time(s)")
say("  stock(of: apple) after the reservation evicted its entry: \(try await inventory.stock(of: "apple"))")
for n in 1...4 {
    do {
        say("  report \(n): \(try await inventory.report())")
    } catch let error as PolicyError where error.code == .rateLimited {
        say("  report \(n): rate limited, retry after \(error.retryAfter ?? .zero)")
    }
}
if let manifest = try await pm.manifest(of: inventory.id.process) {
    say("  its contract (interface \(manifest.interfaceHash)):")
    for method in manifest.methods {
        let policies = [
            method.policies.cache.map { _ in "cache" }, method.policies.validations.isEmpty ? nil : "validate",
            method.policies.idempotency.map { _ in "idempotent" }, method.policies.cacheEvictions.isEmpty ? nil : "evicts",
            method.policies.rateLimit.map { "rate limit \($0.limit)/\($0.window)" }, method.policies.timeout.map { "timeout \($0.limit)" },
        ].compactMap { $0 }
        say("    \(method.key) -> \(method.resultType)\(policies.isEmpty ? "" : "  [" + policies.joined(separator: ", ") + "]")")
    }
}

say("\nshutting down...")
await pm.shutdown(timeout: .seconds(5))
printTable("process table after shutdown:")

say("\nevents:")
for line in await log.value { say(line) }
