// The README's method-policies example, compiled: a contracted service, spawned and called.
import Distributed
import TitanPM
import TitanPMMacros

/// What `reserve` throws when the stock is short.
struct OutOfStock: Error, Codable {
    var item: String
}

/// What `report` returns.
struct Report: Codable, Sendable {
    var tenant: String
    var levels: [String: Int]
}

@ServiceContract
distributed actor Inventory: ProcessService {
    private var levels = ["apple": 5, "pear": 2]

    @Cache(ttl: .seconds(30), key: "item")                      // served from the child's cache
    distributed func stock(of item: String) -> Int { levels[item] ?? 0 }

    @Validate("quantity", .range(1...10))                       // the body never sees invalid input
    @Idempotent(key: "order:{orderID}")                         // runs once per order, repeats get the stored reply
    @CacheEvict("stock(of:)", key: "item")                      // drops the cached stock after it runs
    @Retry(3, backoff: .exponential(initial: .milliseconds(50)))
    distributed func reserve(item: String, quantity: Int, orderID: String) throws -> Int {
        let left = (levels[item] ?? 0) - quantity
        guard left >= 0 else { throw OutOfStock(item: item) }
        levels[item] = left
        return left
    }

    @RateLimit(100, per: .seconds(1), key: "tenant")            // counted in the child, per tenant
    @CircuitBreaker(.consecutiveFailures(5), resetAfter: .seconds(30))  // the caller fails fast while open
    @Timeout(.seconds(2))                                       // the child's task is cancelled at the deadline
    distributed func report(tenant: String) async throws -> Report { Report(tenant: tenant, levels: levels) }

    @HealthCheck(interval: .seconds(10), critical: true)        // the manager calls it; unhealthy restarts the process
    distributed func checkup() -> HealthStatus { levels.isEmpty ? HealthStatus(.unhealthy, message: "no stock") : .healthy }
}

ProcessManager.bootstrap()
let pm = ProcessManager()
let inventory = try await pm.spawn(Inventory.self)
print(try await inventory.reserve(item: "apple", quantity: 2, orderID: "A-1"), try await inventory.stock(of: "apple"))
await pm.shutdown()
