import Testing
@testable import TitanPM
import TitanPMTestKit
import TitanTestServices

extension TitanPMTests {
    /// The policies the calling process enforces — circuit breaker, retry — and the manager's
    /// health checks, on real child processes.
    @Suite struct BreakersRetriesAndHealthChecks {
        // MARK: @CircuitBreaker

        @Test func theBreakerOpensFailsFastWithoutReachingTheChildThenHalfOpensAndCloses() async throws {
            let clock = ManualClock()
            try await withProcessManager(clock: clock) { pm in
                let lab = try await pm.spawn(PolicyLab.self, options: SpawnOptions(callTimeout: nil))
                let events = EventRecorder(pm.policyEvents)
                try await lab.setFailing(true)
                for _ in 0..<3 {
                    await #expect(throws: LabError.broken) { try await lab.fragile() }
                }
                let opened = try await events.first("the circuit opened") { $0.kind == .circuitOpened }
                #expect(opened.process == lab.id.process && opened.method == "fragile()" && opened.retryAfter == .seconds(30))
                #expect(try await lab.runs("fragile") == 3)

                // Open: calls fail fast on this side; the child's counter does not move.
                for _ in 0..<5 {
                    let refusal = try await #require(throws: PolicyError.self) { try await lab.fragile() }
                    #expect(refusal.code == .circuitOpen && refusal.retryAfter == .seconds(30))
                }
                #expect(try await lab.runs("fragile") == 3)

                // After the reset time one probe goes through; its success closes the circuit.
                try await lab.setFailing(false)
                clock.advance(by: .seconds(30))
                #expect(try await lab.fragile() == 4)
                try await events.first("half-open") { $0.kind == .circuitHalfOpened }
                try await events.first("closed again") { $0.kind == .circuitClosed }
                #expect(try await lab.fragile() == 5)
                #expect(events.events.map(\.kind) == [.circuitOpened, .circuitHalfOpened, .circuitClosed])
            }
        }

        @Test func aFailedProbeOpensTheCircuitAgain() async throws {
            let clock = ManualClock()
            try await withProcessManager(clock: clock) { pm in
                let lab = try await pm.spawn(PolicyLab.self, options: SpawnOptions(callTimeout: nil))
                let events = EventRecorder(pm.policyEvents)
                try await lab.setFailing(true)
                for _ in 0..<3 { _ = try? await lab.fragile() }
                clock.advance(by: .seconds(30))
                await #expect(throws: LabError.broken) { try await lab.fragile() }
                try await events.count("opened twice", 2) { $0.kind == .circuitOpened }
                await #expect(throws: PolicyError.self) { try await lab.fragile() }
                #expect(try await lab.runs("fragile") == 4)
            }
        }

        // MARK: @Retry

        @Test func aFlakyIdempotentMethodSucceedsOnItsThirdAttemptWithOneKey() async throws {
            try await withProcessManager { pm in
                let lab = try await pm.spawn(PolicyLab.self)
                let keys = try await lab.flaky("job-1")
                #expect(keys.count == 3)
                #expect(Set(keys).count == 1 && keys[0] != "none")
                #expect(try await lab.runs("flaky") == 3)
                // The caller's own key is the one every attempt carries.
                let mine = try await ProcessActorSystem.withIdempotencyKey("mine") { try await lab.flaky("job-2") }
                #expect(mine == ["mine", "mine", "mine"])
            }
        }

        @Test func aCallThatReachedTheChildIsNotRepeatedUnlessIdempotent() async throws {
            try await withProcessManager { pm in
                // Retrying method errors, given at spawn for a method that is not idempotent.
                let lab = try await pm.spawn(PolicyLab.self, options: SpawnOptions(policies: [
                    "unsafe()": MethodPolicies(retry: RetryPolicy(3, backoff: .constant(.milliseconds(10)), on: [.methodError, .timedOut])),
                ]))
                await #expect(throws: LabError.broken) { try await lab.unsafe() }
                #expect(try await lab.runs("unsafe") == 1)
            }
        }

        @Test func aCallRefusedBeforeItRanIsRetriedAfterTheWaitItWasGiven() async throws {
            try await withProcessManager { pm in
                // `ping()` allows 3 calls a second; retrying rate-limited calls is always safe.
                let lab = try await pm.spawn(PolicyLab.self, options: SpawnOptions(policies: [
                    "ping()": MethodPolicies(retry: RetryPolicy(2, backoff: .none, on: [.rateLimited])),
                ]))
                for n in 1...3 { #expect(try await lab.ping() == n) }
                #expect(try await lab.ping() == 4)
                #expect(try await lab.runs("ping") == 4)
            }
        }

        // MARK: @HealthCheck

        @Test func aCriticalFailingHealthCheckRestartsTheChild() async throws {
            try await withProcessManager { pm in
                let patient = try await pm.spawn(Patient.self)
                let id = patient.id.process
                let policyEvents = EventRecorder(pm.policyEvents)
                let processEvents = EventRecorder(pm)
                let before = try await patient.pid()
                try await patient.fallIll()
                let unhealthy = try await policyEvents.first("the check failed") { $0.kind == .unhealthy }
                #expect(unhealthy.process == id && unhealthy.method == "checkup()" && unhealthy.reason == "sick")
                let restarting = try await processEvents.first("restarting") { $0.process == id && $0.status == .restarting }
                #expect(restarting.reason?.contains("unhealthy") == true)
                try await processEvents.first("running again") { $0.process == id && $0.status == .running && $0.pid != before }
                let after = try await patient.pid()
                #expect(after != before)
                #expect(pm.process(id: id)?.restarts == 1)
            }
        }

        @Test func aSupervisedChildFailingACriticalCheckIsRestartedByItsStrategy() async throws {
            try await withProcessManager { pm in
                let supervisor = try await pm.supervisor("clinic", strategy: .oneForAll, intensity: 3, within: .seconds(30)) {
                    Child(Patient.self, id: "patient")
                    Child(Calculator.self, id: "calculator")
                }
                let events = EventRecorder(supervisor)
                let patient = try await supervisor.reference(Patient.self, id: "patient")
                let before = try await patient.pid()
                try await patient.fallIll()
                // One-for-all: the strategy restarts both children after the patient is killed.
                try await events.first("both restarted") { event in
                    if case .restarted(_, let cause, let children) = event { return cause == "patient" && children.count == 2 }
                    return false
                }
                #expect(try await patient.pid() != before)
            }
        }

        @Test func aNonCriticalFailingCheckIsAnEventAndAStatusButNoRestart() async throws {
            try await withProcessManager { pm in
                let patient = try await pm.spawn(Patient.self, options: SpawnOptions(policies: [
                    "checkup()": MethodPolicies(healthCheck: HealthCheckPolicy(interval: .milliseconds(50), critical: false)),
                ]))
                let id = patient.id.process
                let events = EventRecorder(pm.policyEvents)
                let before = try await patient.pid()
                try await patient.fallIll()
                try await events.first("the check failed") { $0.kind == .unhealthy && $0.process == id }
                #expect(pm.process(id: id)?.health == HealthStatus(.unhealthy, message: "sick"))
                #expect(pm.process(id: id)?.status == .running && pm.process(id: id)?.restarts == 0)
                #expect(try await patient.pid() == before)
            }
        }
    }
}
