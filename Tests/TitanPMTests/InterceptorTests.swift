import Synchronization
import Testing
import TitanPMTestKit
import TitanTestServices

/// Adds a tenant to every call, retries a flaky failure once, refuses calls marked so, and
/// records what it saw: a caller-side interceptor.
private final class CallerSide: CallInterceptor {
    struct Refused: Error {}

    let seen = Mutex<[String]>([])

    func interceptOutgoing(_ call: OutgoingCall, next: (OutgoingCall) async throws -> CallReply) async throws -> CallReply {
        if call.metadata["refuse"] != nil {
            seen.withLock { $0.append("\(call.target.methodName) refused") }
            throw Refused()
        }
        var call = call
        call.metadata["tenant"] = "acme"
        do {
            let reply = try await next(call)
            seen.withLock { $0.append("\(call.target.methodName) ok") }
            return reply
        } catch is FlakyFailure {
            seen.withLock { $0.append("\(call.target.methodName) retried") }
            return try await next(call)
        }
    }
}

extension TitanPMTests {
    @Suite struct Interceptors {
        @Test func theCallersDeadlineIsVisibleInTheChild() async throws {
            try await withProcessManager { pm in
                let probe = try await pm.spawn(ContextProbe.self)
                let remaining = try #require(try await ProcessActorSystem.withCallTimeout(.seconds(7)) { try await probe.deadlineRemaining() })
                #expect(remaining > .seconds(6) && remaining <= .seconds(7), "the child saw \(remaining) left")
                // The default timeout from SpawnOptions travels too; no timeout, no deadline.
                let byDefault = try #require(try await probe.deadlineRemaining())
                #expect(byDefault > .seconds(29) && byDefault <= .seconds(30))
                #expect(try await ProcessActorSystem.withoutCallTimeout { try await probe.deadlineRemaining() } == nil)
            }
        }

        @Test func metadataSetByTheCallerReachesTheChild() async throws {
            try await withProcessManager { pm in
                let probe = try await pm.spawn(ContextProbe.self)
                #expect(try await probe.metadata("trace") == nil)
                let seen = try await ProcessActorSystem.withCallMetadata(["trace": "abc"]) {
                    try await ProcessActorSystem.withIdempotencyKey("order-42") {
                        (try await probe.metadata("trace"), try await probe.metadata(CallMetadata.idempotencyKeyKey))
                    }
                }
                #expect(seen.0 == "abc")
                #expect(seen.1 == "order-42")
            }
        }

        @Test func interceptorsOnBothSidesSeeEveryCallAndItsOutcome() async throws {
            try await withProcessManager { pm in
                let caller = CallerSide()
                pm.actorSystem.addInterceptor(caller)
                let probe = try await pm.spawn(ContextProbe.self)

                // The caller's interceptor adds metadata the child reads.
                #expect(try await probe.metadata("tenant") == "acme")
                // It retries a failure it knows: the child ran the method twice, the caller saw one success.
                #expect(try await probe.flaky(failures: 1) == 2)
                // It fails a call fast: the child never sees it.
                await #expect(throws: CallerSide.Refused.self) {
                    try await ProcessActorSystem.withCallMetadata(["refuse": "yes"]) { try await probe.flaky(failures: 0) }
                }
                let served = try await probe.served()
                #expect(served == ["metadata(_:) ok", "flaky(failures:) failed", "flaky(failures:) ok"])
                #expect(caller.seen.withLock { $0 } == [
                    "metadata(_:) ok", "flaky(failures:) retried", "flaky(failures:) refused", "served() ok",
                ])
            }
        }

        @Test func inProcessServicesPassTheSameInterceptors() async throws {
            try await withProcessManager { pm in
                let caller = CallerSide()
                pm.actorSystem.addInterceptor(caller)
                let probe = try await pm.spawn(ContextProbe.self, options: SpawnOptions(isolation: .inProcess))
                #expect(try await probe.metadata("tenant") == "acme")
                let remaining = try #require(try await ProcessActorSystem.withCallTimeout(.seconds(3)) { try await probe.deadlineRemaining() })
                #expect(remaining > .seconds(2) && remaining <= .seconds(3))
            }
        }
    }
}
