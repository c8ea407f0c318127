import Distributed
import Synchronization
import TitanPM
import TitanPMMacros

struct Receipt: Codable, Sendable, Hashable {
    var id: String
    var amount: Int
}

/// A service with every policy attribute, compiled with the real macros.
@ServiceContract
distributed actor Accounts: ProcessService {
    /// How often each method body ran, read by the tests.
    let bodies = Mutex<[String: Int]>([:])

    private func ran(_ method: String) {
        bodies.withLock { $0[method, default: 0] += 1 }
    }

    func runs(_ method: String) -> Int {
        bodies.withLock { $0[method] ?? 0 }
    }

    distributed func add(_ a: Int, _ b: Int) -> Int {
        ran("add")
        return a + b
    }

    @RateLimit(100, per: .seconds(1), strategy: .tokenBucket(burst: 20), key: "userID")
    @Validate("amount", .range(1...10_000))
    @Validate("userID", .length(1...32), .pattern(.alphanumeric))
    @Validate(result: .custom("has an id") { (receipt: Receipt) in !receipt.id.isEmpty })
    @Retry(3, backoff: .constant(.milliseconds(10)))
    @Idempotent(key: "transfer:{userID}:{requestID}")
    @Timeout(.seconds(2))
    @Trace
    @Metric("transfers")
    distributed func transfer(userID: String, amount: Int, requestID: String) -> Receipt {
        ran("transfer")
        // An amount of 13 produces an invalid receipt, for the result check.
        return Receipt(id: amount == 13 ? "" : "\(userID)-\(requestID)", amount: amount)
    }

    @Cache(ttl: .seconds(60), key: "id", maxEntries: 100, tags: ["org:{org}"])
    @CircuitBreaker(.errorRate(0.5, minimumCalls: 10, within: .seconds(30)), resetAfter: .seconds(5))
    distributed func user(id: String, org: String) -> String {
        ran("user")
        return "user \(id) of \(org)"
    }

    @CacheEvict("user(id:org:)", key: "id")
    distributed func rename(id: String, to name: String) {
        ran("rename")
    }

    @CacheInvalidate(tags: ["org:{org}"])
    @CacheInvalidate("user(id:org:)", matching: "admin*")
    distributed func deleteOrg(org: String) {
        ran("deleteOrg")
    }

    @Validate("tags", .count(1...3), .each(.length(1...8)))
    distributed func label(_ tags: [String]) -> Int {
        ran("label")
        return tags.count
    }

    @HealthCheck(interval: .seconds(5), critical: true)
    distributed func check() -> HealthStatus {
        .healthy
    }

    @SelfHeal(using: "reconnect")
    distributed func fetch() throws -> [Int] {
        ran("fetch")
        return [1, 2, 3]
    }

    func reconnect() {
        ran("reconnect")
    }

    distributed func numbers(upTo n: Int) -> RemoteStream<Int> {
        RemoteStream(elements: Array(0..<n))
    }

    distributed func echo<Value: Codable & Sendable>(_ value: Value) -> Value {
        value
    }

    distributed func overloaded(_ x: Int) -> Int { x }

    distributed func overloaded(_ x: String) -> String { x }

    /// Not distributed: not in the contract.
    func internalHelper() -> Int { 0 }
}
