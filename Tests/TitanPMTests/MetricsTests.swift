import Glibc
import Logging
import Testing
import TitanPMTestKit
import TitanTestServices
@testable import TitanPM

extension TitanPMTests {
    @Suite struct Metrics {
        @Test func metricsOfAProcessCountItsCallsErrorsAndLatency() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                for i in 0..<10 { _ = try await calc.add(i, 1) }
                for _ in 0..<3 { _ = try? await calc.divide(1, by: 0) }
                _ = try? await calc.failOpaquely("x")

                let metrics = try await pm.metrics(of: calc.id.process)
                #expect(metrics.pid == pm.process(id: calc.id.process)?.pid)
                #expect(metrics.service == "calculator")
                #expect(metrics.status == .running)
                let add = try #require(metrics.methods["add(_:_:)"])
                #expect(add.calls == 10)
                #expect(add.errors == 0)
                #expect(add.inFlight == 0)
                #expect(add.latency.count == 10)
                #expect(add.latencyP50 != nil && add.latencyP99! >= add.latencyP50!)
                let divide = try #require(metrics.methods["divide(_:by:)"])
                #expect(divide.calls == 3)
                #expect(divide.errorsByKind == ["MathError": 3])
                #expect(metrics.methods["failOpaquely(_:)"]?.errorsByKind == ["OpaqueFailure": 1])
                #expect(metrics.calls == 14)
                #expect(metrics.errors == 4)
                #expect((metrics.residentBytes ?? 0) > 1 << 20)
                #expect((metrics.openDescriptors ?? 0) >= 3)
                #expect(metrics.cpuSeconds != nil)
            }
        }

        @Test func childrenMetricsReachTheParentsBackendLabelledWithProcessAndPid() async throws {
            let registry = testPrometheusRegistry
            try await withProcessManager { pm in
                let chatter = try await pm.spawn(Chatter.self)
                let process = chatter.id.process.rawValue
                let pid = String(try await chatter.pid())
                try await chatter.count(5)
                try await chatter.count(7)
                await pm.collectMetrics()

                // The service's own counter, recorded in the child through swift-metrics.
                let own = exposition(registry, "chatter_items_total", ["process": process, "pid": pid])
                #expect(own.count == 1 && own.first.flatMap(sampleValue) == 12, "\(own)")
                // Titan's per-call counter, served side, from the child.
                let served = exposition(registry, TitanMetricNames.calls, ["process": process, "pid": pid, "method": "count(_:)", "side": "server"])
                #expect(served.first.flatMap(sampleValue) == 2, "\(served)")
                // The caller's side, from the manager.
                let made = exposition(registry, TitanMetricNames.calls, ["process": process, "method": "count(_:)", "side": "client", "service": "chatter"])
                #expect(made.first.flatMap(sampleValue) == 2, "\(made)")
                // Readings from /proc.
                #expect(exposition(registry, TitanMetricNames.processResidentMemory, ["process": process, "pid": pid]).first.flatMap(sampleValue).map { $0 > 0 } == true)
                #expect(exposition(registry, TitanMetricNames.processUp, ["process": process]).first.flatMap(sampleValue) == 1)

                // A second collection adds only what is new.
                try await chatter.count(1)
                await pm.collectMetrics()
                #expect(exposition(registry, "chatter_items_total", ["process": process]).first.flatMap(sampleValue) == 13)
                #expect(exposition(registry, TitanMetricNames.calls, ["process": process, "pid": pid, "method": "count(_:)", "side": "server"]).first.flatMap(sampleValue) == 3)
            }
        }

        @Test func poolMetricsAddUpTheirWorkersAndReachTheBackend() async throws {
            let registry = testPrometheusRegistry
            try await withProcessManager { pm in
                let pool = try await pm.pool(Calculator.self, options: PoolOptions(size: .fixed(2), strategy: .roundRobin))
                for i in 0..<20 { _ = try await pool.proxy.add(i, i) }
                let metrics = try await pm.metrics(of: pool.id)
                #expect(metrics.methods["add(_:_:)"]?.calls == 20)
                #expect(Set(metrics.snapshot.samples.compactMap { $0.dimensions[TitanMetricNames.process] }).count == 2)

                await pm.collectMetrics()
                let processed = exposition(registry, TitanMetricNames.poolProcessed, ["pool": pool.id.rawValue])
                #expect(processed.first.flatMap(sampleValue) == 20, "\(processed)")
                #expect(exposition(registry, TitanMetricNames.poolSize, ["pool": pool.id.rawValue]).first.flatMap(sampleValue) == 2)
                #expect(exposition(registry, TitanMetricNames.poolWorkerProcessed, ["pool": pool.id.rawValue]).count == 2)
            }
        }

        @Test func streamsCountTheirElementsAndBytesOnBothSides() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                var received = 0
                for try await _ in try await streamer.numbers(upTo: 500) { received += 1 }
                #expect(received == 500)
                let child = try await pm.metrics(of: streamer.id.process).snapshot
                #expect(child.total(TitanMetricNames.streamElements, matching: ["direction": "sent"]) == 500)
                #expect(child.total(TitanMetricNames.streamBytes, matching: ["direction": "sent"]) > 500)
                let parent = try #require(pm.telemetry.registry).snapshot()
                #expect(parent.total(TitanMetricNames.streamElements, matching: ["direction": "received"]) >= 500)
            }
        }

        @Test func supervisorRestartsAreCounted() async throws {
            let registry = testPrometheusRegistry
            try await withProcessManager { pm in
                let root = try await pm.supervisor("metrics-root", strategy: .oneForOne, intensity: 5, within: .seconds(60)) {
                    Child(Calculator.self)
                }
                let events = EventRecorder(root)
                let calc = try await root.reference(Calculator.self)
                try pm.kill(calc.id.process)
                _ = try await events.first("a restart", timeout: .seconds(20)) { if case .restarted = $0 { true } else { false } }
                await pm.collectMetrics()
                let restarts = exposition(registry, TitanMetricNames.supervisorRestarts, ["supervisor": "metrics-root"])
                #expect(restarts.first.flatMap(sampleValue) == 1, "\(restarts)")
            }
        }

        @Test func disabledObservabilityInstallsNothing() async throws {
            let pm = ProcessManager(observability: .disabled)
            let calc = try await pm.spawn(Calculator.self)
            #expect(pm.actorSystem.interceptors.isEmpty)
            #expect(try await calc.add(1, 2) == 3)
            await #expect(throws: ProcessError.self) { try await pm.metrics(of: calc.id.process) }
            #expect(throws: ProcessError.self) { try pm.logs(of: calc.id.process) }
            // The child installed nothing either: its registry is empty.
            let snapshot = try await pm.telemetrySnapshot(of: calc.id.process)
            #expect(snapshot.samples.isEmpty)
            await pm.shutdown()
        }

        @Test func histogramQuantilesAreWithinTheirBucketWidth() {
            var histogram = LatencyHistogram()
            for value in 1...10_000 { histogram.record(Int64(value) * 1000) }
            let p50 = Double(histogram.quantile(0.5)!)
            let p99 = Double(histogram.quantile(0.99)!)
            #expect(abs(p50 - 5_000_000) / 5_000_000 < 0.07)
            #expect(abs(p99 - 9_900_000) / 9_900_000 < 0.07)
            var merged = LatencyHistogram()
            merged.merge(histogram)
            merged.merge(histogram)
            #expect(merged.count == 20_000)
            #expect(merged.subtracting(histogram) == histogram)
        }
    }
}

extension ProcessManager {
    /// The child's raw snapshot, metrics on or off (for the test that checks it is empty).
    func telemetrySnapshot(of id: ProcessID) async throws -> MetricsSnapshot {
        guard let entry = entry(id) else { throw ProcessError.unknownProcess(id) }
        return try await entry.metricsSnapshot(timeout: .seconds(5))
    }
}
