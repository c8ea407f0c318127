import Distributed
import Glibc
import TitanPM
import TitanPMMacros

/// What `PolicyLab`'s methods throw.
public enum LabError: Error, Codable, Sendable, Hashable {
    case broken
    case notYet(attempt: Int)
}

/// A service with a method for each policy; it counts how often each method body ran, so a
/// test can tell a call that ran from one a policy answered or refused.
@ServiceContract
public distributed actor PolicyLab: ProcessService {
    public static let name = "policy-lab"

    private var bodies: [String: Int] = [:]
    private var failing = false
    private var connected = true
    private var flakyAttempts: [String: Int] = [:]
    private var flakyKeys: [String: [String]] = [:]
    private var cancelled = 0
    private var cancellationWaiters: [CheckedContinuation<Int, Never>] = []

    private func ran(_ method: String) -> Int {
        bodies[method, default: 0] += 1
        return bodies[method]!
    }

    /// How often the body of `method` has run in this process.
    public distributed func runs(_ method: String) -> Int {
        bodies[method] ?? 0
    }

    public distributed func pid() -> Int32 { getpid() }

    // MARK: Rate limits

    @RateLimit(3, per: .seconds(1))
    public distributed func ping() -> Int { ran("ping") }

    @RateLimit(2, per: .seconds(60), key: "user")
    public distributed func quota(user: String) -> Int { ran("quota") }

    // MARK: Circuit breaker

    @CircuitBreaker(.consecutiveFailures(3), resetAfter: .seconds(30))
    public distributed func fragile() throws -> Int {
        let runs = ran("fragile")
        if failing { throw LabError.broken }
        return runs
    }

    public distributed func setFailing(_ on: Bool) { failing = on }

    // MARK: Retry

    /// Fails on its first two attempts for each `id`; returns the idempotency keys its
    /// attempts carried.
    @Retry(3, backoff: .constant(.milliseconds(20)), on: [.methodError])
    @Idempotent
    public distributed func flaky(_ id: String) throws -> [String] {
        _ = ran("flaky")
        flakyAttempts[id, default: 0] += 1
        flakyKeys[id, default: []].append(ProcessActorSystem.currentCall?.metadata.idempotencyKey ?? "none")
        guard flakyAttempts[id]! >= 3 else { throw LabError.notYet(attempt: flakyAttempts[id]!) }
        return flakyKeys[id]!
    }

    /// Always fails; the tests give it a retry policy at spawn.
    public distributed func unsafe() throws -> Int {
        _ = ran("unsafe")
        throw LabError.broken
    }

    // MARK: Timeout

    /// Sleeps far longer than its timeout; counts the cancellation that ends it.
    @Timeout(.milliseconds(300))
    public distributed func sleepy() async throws -> Int {
        _ = ran("sleepy")
        do {
            try await Task.sleep(for: .seconds(30))
        } catch {
            cancelled += 1
            for waiter in cancellationWaiters { waiter.resume(returning: cancelled) }
            cancellationWaiters.removeAll()
            throw error
        }
        return 0
    }

    /// How many `sleepy` calls were cancelled, once at least one was.
    public distributed func cancellations() async -> Int {
        if cancelled > 0 { return cancelled }
        return await withCheckedContinuation { cancellationWaiters.append($0) }
    }

    // MARK: Cache

    @Cache(ttl: .seconds(60), key: "id", tags: ["team:{team}"])
    public distributed func profile(id: String, team: String) -> String {
        "\(id) of \(team), version \(ran("profile"))"
    }

    @CacheEvict("profile(id:team:)", key: "id")
    public distributed func rename(id: String) { _ = ran("rename") }

    @CacheInvalidate(tags: ["team:{team}"])
    public distributed func disband(team: String) { _ = ran("disband") }

    @CacheInvalidate("profile(id:team:)", matching: "tmp-*")
    public distributed func purgeTemporary() { _ = ran("purgeTemporary") }

    // MARK: Validation

    /// Returns the amount, except that 13 comes back as -1 (an invalid result).
    @Validate("amount", .range(1...100))
    @Validate("memo", .length(0...10))
    @Validate(result: .custom("must be positive") { (value: Int) in value > 0 })
    public distributed func charge(amount: Int, memo: String) -> Int {
        _ = ran("charge")
        return amount == 13 ? -1 : amount
    }

    // MARK: Idempotency

    /// Takes a while, so that repeats arrive while it runs; returns how often it ran.
    @Idempotent(key: "order:{order}")
    public distributed func place(order: String) async throws -> Int {
        let runs = ran("place")
        try await Task.sleep(for: .milliseconds(200))
        return runs
    }

    // MARK: Self-healing

    @SelfHeal(using: "reconnect")
    public distributed func fetch() throws -> String {
        _ = ran("fetch")
        guard connected else { throw LabError.broken }
        return "fetched"
    }

    public distributed func disconnect() { connected = false }

    func reconnect() {
        _ = ran("reconnect")
        connected = true
    }
}

/// A service whose critical health check the tests make fail.
@ServiceContract
public distributed actor Patient: ProcessService {
    public static let name = "patient"

    private var sick = false

    @HealthCheck(interval: .milliseconds(100), critical: true)
    public distributed func checkup() -> HealthStatus {
        sick ? HealthStatus(.unhealthy, message: "sick") : .healthy
    }

    public distributed func fallIll() { sick = true }

    public distributed func pid() -> Int32 { getpid() }
}
