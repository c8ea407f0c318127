import Testing
@testable import TitanPM
import TitanPMTestKit
import TitanTestServices

extension TitanPMTests {
    /// The policies the process hosting a service enforces, on real child processes (and,
    /// where time must be controlled, on an in-process service driven by a manual clock).
    @Suite struct RateLimitsAndSpawnPolicies {
        // MARK: @RateLimit

        @Test func theCallPastTheLimitIsRefusedUntilTheWindowHasRoom() async throws {
            try await withProcessManager { pm in
                let lab = try await pm.spawn(PolicyLab.self)
                for n in 1...3 { #expect(try await lab.ping() == n) }
                let refusal = try await #require(throws: PolicyError.self) { try await lab.ping() }
                #expect(refusal.code == .rateLimited && refusal.method == "ping()")
                let retryAfter = try #require(refusal.retryAfter)
                #expect(retryAfter > .zero && retryAfter <= .seconds(1))
                // The refused call never ran.
                #expect(try await lab.runs("ping") == 3)
                // The limit is a sliding window of 1 s: once the oldest call has left it, room again.
                try await Task.sleep(for: retryAfter)
                #expect(try await lab.ping() == 4)
            }
        }

        @Test func theWindowMovesWithTheManagersClockForAnInProcessService() async throws {
            let clock = ManualClock()
            try await withProcessManager(clock: clock) { pm in
                let lab = try await pm.spawn(PolicyLab.self, options: SpawnOptions(isolation: .inProcess))
                for n in 1...3 { #expect(try await lab.ping() == n) }
                let refusal = try await #require(throws: PolicyError.self) { try await lab.ping() }
                #expect(refusal.code == .rateLimited && refusal.retryAfter == .seconds(1))
                clock.advance(by: .milliseconds(999))
                await #expect(throws: PolicyError.self) { try await lab.ping() }
                clock.advance(by: .milliseconds(1))
                #expect(try await lab.ping() == 4)
            }
        }

        @Test func aKeyedLimitCountsEachKeyOnItsOwn() async throws {
            try await withProcessManager { pm in
                let lab = try await pm.spawn(PolicyLab.self)
                _ = try await lab.quota(user: "ann")
                _ = try await lab.quota(user: "ann")
                let refusal = try await #require(throws: PolicyError.self) { try await lab.quota(user: "ann") }
                #expect(refusal.code == .rateLimited)
                #expect(try await lab.quota(user: "bob") == 3)
                #expect(try await lab.runs("quota") == 3)
            }
        }

        @Test func limitsGivenAtSpawnApplyToServicesWithoutAttributes() async throws {
            try await withProcessManager { pm in
                let calculator = try await pm.spawn(Calculator.self, options: SpawnOptions(policies: [
                    "add(_:_:)": MethodPolicies(rateLimit: RateLimitPolicy(2, per: .seconds(60))),
                ]))
                #expect(try await calculator.add(1, 1) == 2)
                #expect(try await calculator.add(1, 2) == 3)
                let refusal = try await #require(throws: PolicyError.self) { try await calculator.add(1, 3) }
                #expect(refusal.code == .rateLimited && refusal.method == "add(_:_:)")
                // Other methods are not limited.
                #expect(try await calculator.sum([2, 3]) == 5)
            }
        }

        @Test func policiesAtSpawnThatCannotBeEnforcedFailTheSpawnBeforeLaunch() async throws {
            try await withProcessManager { pm in
                let unknown = try await #require(throws: PolicyError.self) {
                    try await pm.spawn(PolicyLab.self, options: SpawnOptions(policies: ["nope()": MethodPolicies(timeout: TimeoutPolicy(.seconds(1)))]))
                }
                #expect(unknown.code == .invalidPolicy && unknown.message.contains("no method nope()"))
                let keyed = try await #require(throws: PolicyError.self) {
                    try await pm.spawn(Calculator.self, options: SpawnOptions(policies: [
                        "add(_:_:)": MethodPolicies(rateLimit: RateLimitPolicy(1, per: .seconds(1), key: "a")),
                    ]))
                }
                #expect(keyed.code == .invalidPolicy)
                #expect(pm.processes.isEmpty)
            }
        }
    }
}
