import Testing
@testable import TitanPM
import TitanPMTestKit
import TitanTestServices

extension TitanPMTests {
    /// Caching, validation, idempotency, timeouts, self-healing, traces and metrics, enforced
    /// in the child process that hosts the service.
    @Suite struct ResultPolicies {
        // MARK: @Cache, @CacheEvict, @CacheInvalidate

        @Test func aCachedMethodRunsOnceUntilEvictedOrInvalidated() async throws {
            try await withProcessManager { pm in
                let lab = try await pm.spawn(PolicyLab.self)
                let first = try await lab.profile(id: "ann", team: "red")
                #expect(try await lab.profile(id: "ann", team: "red") == first)
                #expect(try await lab.profile(id: "ann", team: "red") == first)
                #expect(try await lab.runs("profile") == 1)
                let statistics = try #require(try await pm.cacheStatistics(of: lab.id.process)["profile(id:team:)"])
                #expect(statistics.hits == 2 && statistics.misses == 1 && statistics.count == 1)

                // @CacheEvict drops the entry whose key is the call's `id`.
                try await lab.rename(id: "ann")
                #expect(try await lab.profile(id: "ann", team: "red") != first)
                #expect(try await lab.runs("profile") == 2)

                // @CacheInvalidate(tags:) drops every entry tagged with the team.
                _ = try await lab.profile(id: "bob", team: "red")
                let cy = try await lab.profile(id: "cy", team: "blue")
                #expect(try await lab.runs("profile") == 4)
                try await lab.disband(team: "red")
                _ = try await lab.profile(id: "ann", team: "red")
                _ = try await lab.profile(id: "bob", team: "red")
                #expect(try await lab.profile(id: "cy", team: "blue") == cy)
                #expect(try await lab.runs("profile") == 6)

                // @CacheInvalidate(matching:) drops the entries whose key matches the pattern.
                let temporary = try await lab.profile(id: "tmp-1", team: "blue")
                #expect(try await lab.profile(id: "tmp-1", team: "blue") == temporary)
                try await lab.purgeTemporary()
                #expect(try await lab.profile(id: "tmp-1", team: "blue") != temporary)
                #expect(try await lab.profile(id: "cy", team: "blue") == cy)
                #expect(try await lab.runs("profile") == 8)
            }
        }

        @Test func aCachedResultIsServedUntilItsTimeToLiveRunsOut() async throws {
            let clock = ManualClock()
            try await withProcessManager(clock: clock) { pm in
                let lab = try await pm.spawn(PolicyLab.self, options: SpawnOptions(isolation: .inProcess))
                let first = try await lab.profile(id: "ann", team: "red")
                clock.advance(by: .seconds(59))
                #expect(try await lab.profile(id: "ann", team: "red") == first)
                clock.advance(by: .seconds(1))
                #expect(try await lab.profile(id: "ann", team: "red") != first)
                #expect(try await lab.runs("profile") == 2)
                let statistics = try #require(try await pm.cacheStatistics(of: lab.id.process)["profile(id:team:)"])
                #expect(statistics.expirations == 1 && statistics.hits == 1 && statistics.misses == 2)
            }
        }

        // MARK: @Validate

        @Test func invalidInputNeverReachesTheBodyAndAnInvalidResultIsRefused() async throws {
            try await withProcessManager { pm in
                let lab = try await pm.spawn(PolicyLab.self)
                let input = try await #require(throws: PolicyError.self) { try await lab.charge(amount: 0, memo: "far too long a memo") }
                #expect(input.code == .validationFailed && input.method == "charge(amount:memo:)")
                #expect(input.failures == [
                    PolicyError.FieldFailure(field: "amount", reason: "must be between 1 and 100"),
                    PolicyError.FieldFailure(field: "memo", reason: "must be 0 to 10 characters long"),
                ])
                #expect(try await lab.runs("charge") == 0)

                let output = try await #require(throws: PolicyError.self) { try await lab.charge(amount: 13, memo: "") }
                #expect(output.code == .validationFailed && output.failures.map(\.field) == ["result"])
                #expect(try await lab.runs("charge") == 1)

                #expect(try await lab.charge(amount: 5, memo: "ok") == 5)
            }
        }

        // MARK: @Idempotent

        @Test func tenConcurrentCallsWithOneIdempotencyKeyRunTheBodyOnce() async throws {
            try await withProcessManager { pm in
                let lab = try await pm.spawn(PolicyLab.self)
                let results = try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<10 {
                        // Different arguments: the key in the call's metadata is what counts.
                        group.addTask {
                            try await ProcessActorSystem.withIdempotencyKey("order-7") { try await lab.place(order: "o\(i)") }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results == Array(repeating: 1, count: 10))
                #expect(try await lab.runs("place") == 1)
                // A later repeat is answered from the stored reply.
                #expect(try await ProcessActorSystem.withIdempotencyKey("order-7") { try await lab.place(order: "other") } == 1)
                #expect(try await lab.runs("place") == 1)
            }
        }

        @Test func withoutAKeyInTheMetadataTheDeclaredKeyTemplateDecides() async throws {
            try await withProcessManager { pm in
                let lab = try await pm.spawn(PolicyLab.self)
                #expect(try await lab.place(order: "x") == 1)
                #expect(try await lab.place(order: "x") == 1)
                #expect(try await lab.place(order: "y") == 2)
                #expect(try await lab.runs("place") == 2)
            }
        }

        // MARK: @Timeout

        @Test func aTimedOutMethodsTaskIsCancelledInTheChild() async throws {
            try await withProcessManager { pm in
                let lab = try await pm.spawn(PolicyLab.self)
                let start = ContinuousClock.now
                let error = try await #require(throws: PolicyError.self) { try await lab.sleepy() }
                #expect(error.code == .timedOut && error.method == "sleepy()")
                #expect(ContinuousClock.now - start < .seconds(10))
                // The method's sleep (30 s) ended in cancellation, in the child.
                #expect(try await lab.cancellations() == 1)
                #expect(try await lab.runs("sleepy") == 1)
            }
        }

        // MARK: @SelfHeal

        @Test func aFailingMethodIsHealedAndRunOnceMore() async throws {
            try await withProcessManager { pm in
                let lab = try await pm.spawn(PolicyLab.self)
                #expect(try await lab.fetch() == "fetched")
                try await lab.disconnect()
                #expect(try await lab.fetch() == "fetched")
                #expect(try await lab.runs("fetch") == 3)
                #expect(try await lab.runs("reconnect") == 1)
            }
        }

        // MARK: @Trace, @Metric

        /// Three calls of the traced and measured method (one fails) on `observatory`.
        private func measureThrice(_ observatory: Observatory) async throws {
            #expect(try await observatory.measure(fail: false) == 1)
            #expect(try await observatory.measure(fail: false) == 1)
            await #expect(throws: MathError.overflow) { try await observatory.measure(fail: true) }
        }

        @Test func withObservabilityOnACallHasOneServerSpanNamedByTraceAndOneSetOfMetrics() async throws {
            try await withProcessManager { pm in
                let observatory = try await pm.spawn(Observatory.self)
                try await measureThrice(observatory)
                let report = try await observatory.report()
                let measured = report.spans.filter { $0.attributes["rpc.method"] == "measure(fail:)" }
                #expect(measured.count == 3, "one span per call: \(measured)")
                #expect(measured.allSatisfy { $0.name == "observatory.measure" && $0.kind == "server" })
                #expect(measured.filter(\.isError).count == 1)
                // @Metric defers to the telemetry's per-method figures: no second set.
                #expect(report.calls == 0 && report.timings == 0)
                let metrics = try await pm.metrics(of: observatory.id.process)
                let method = try #require(metrics.methods["measure(fail:)"])
                #expect(method.calls == 3 && method.errors == 1 && method.latency.count == 3)
                #expect(metrics.snapshot.samples("observatory_measure_calls_total").isEmpty)
            }
        }

        @Test func withObservabilityOffTraceAndMetricRecordTheirOwnSpanCountersAndTimings() async throws {
            try await withProcessManager(observability: .disabled) { pm in
                let observatory = try await pm.spawn(Observatory.self)
                try await measureThrice(observatory)
                let report = try await observatory.report()
                #expect(report.spans.map(\.name) == Array(repeating: "observatory.measure", count: 3))
                #expect(report.spans.allSatisfy { $0.kind == "server" })
                #expect(report.spans.filter { $0.isError && $0.events.contains("exception") }.count == 1)
                #expect(report.calls == 3 && report.errors == 1 && report.timings == 3)
            }
        }
    }
}
