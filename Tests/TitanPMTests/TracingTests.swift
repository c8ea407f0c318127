import Glibc
import Testing
import TitanPMTestKit
import TitanTestServices
import Tracing
@testable import TitanPM

extension TitanPMTests {
    @Suite struct Tracing {
        /// The spans of one trace, from the test process and both children.
        private func spans(of trace: String, parent: RecordingTracer, relay: TraceRelay) async throws -> [RecordedSpan] {
            let all = parent.finishedSpans + (try await relay.recordedSpans()) + (try await relay.leafSpans())
            return all.filter { $0.traceID == trace }
        }

        @Test func aCallFromTheParentThroughAToBIsOneTrace() async throws {
            try await withProcessManager { pm in
                let tracer = RecordingTracer()
                let relay = try await pm.spawn(TraceRelay.self)
                let relayPID = try #require(pm.process(id: relay.id.process)?.pid)
                let result = try await withTracer(tracer) {
                    try await tracer.withSpan("test root") { _ in try await relay.relay(20) }
                }
                #expect(result == 41)
                let leafPID = try await relay.leafPID()

                let root = try #require(tracer.finishedSpans.first { $0.name == "test root" })
                let spans = try await spans(of: root.traceID, parent: tracer, relay: relay)
                let parentClient = try #require(spans.first { $0.kind == "client" && $0.pid == getpid() })
                let relayServer = try #require(spans.first { $0.kind == "server" && $0.pid == relayPID })
                let relayClient = try #require(spans.first { $0.kind == "client" && $0.pid == relayPID })
                let leafServer = try #require(spans.first { $0.kind == "server" && $0.pid == leafPID })

                #expect(Set([getpid(), relayPID, leafPID]).count == 3, "three processes")
                #expect(parentClient.name == "TraceRelay/relay(_:)")
                #expect(parentClient.parentSpanID == root.spanID)
                #expect(relayServer.name == "TraceRelay/relay(_:)")
                #expect(relayServer.parentSpanID == parentClient.spanID)
                #expect(relayClient.name == "TraceLeaf/double(_:)")
                #expect(relayClient.parentSpanID == relayServer.spanID)
                #expect(leafServer.name == "TraceLeaf/double(_:)")
                #expect(leafServer.parentSpanID == relayClient.spanID)
                #expect(spans.count == 5, "\(spans)")
                #expect(spans.allSatisfy { !$0.isError })
                #expect(relayServer.attributes["rpc.method"] == "relay(_:)")
            }
        }

        @Test func aFailingCallMarksItsSpansAsErrorsAtEveryHop() async throws {
            try await withProcessManager { pm in
                let tracer = RecordingTracer()
                let relay = try await pm.spawn(TraceRelay.self)
                await #expect(throws: TraceFailure(reason: "boom")) {
                    try await withTracer(tracer) {
                        try await tracer.withSpan("failing root") { _ in try await relay.relayFailure("boom") }
                    }
                }
                let root = try #require(tracer.finishedSpans.first { $0.name == "failing root" })
                let spans = try await spans(of: root.traceID, parent: tracer, relay: relay)
                let hops = spans.filter { $0.name != "failing root" }
                #expect(hops.count == 4, "\(spans)")
                #expect(hops.allSatisfy { $0.isError }, "\(hops)")
                #expect(hops.allSatisfy { $0.attributes["titan.error.kind"] == "TraceFailure" })
            }
        }

        /// Without a tracer the chain skips the tracing interceptor, but it asks again on
        /// every call: a scope opened after calls flowed is used from its first call, and a
        /// call after the scope ends starts no span.
        @Test func aTracerScopeCountsFromItsFirstCallAndEndsWithIt() async throws {
            try await withProcessManager { pm in
                let tracer = RecordingTracer()
                let calc = try await pm.spawn(Calculator.self)
                #expect(try await calc.add(1, 1) == 2)
                #expect(tracer.finishedSpans.isEmpty)
                #expect(try await withTracer(tracer) { try await calc.add(2, 2) } == 4)
                let spans = tracer.finishedSpans
                #expect(spans.count == 1 && spans.first?.kind == "client" && spans.first?.name == "Calculator/add(_:_:)", "\(spans)")
                #expect(try await calc.add(3, 3) == 6)
                #expect(tracer.finishedSpans.count == 1)
            }
        }

        @Test func poolRoutingAndWaitsForARestartAppearOnTheCallersSpan() async throws {
            try await withProcessManager { pm in
                let tracer = RecordingTracer()
                let pool = try await pm.pool(Calculator.self, options: PoolOptions(size: .fixed(1)))
                _ = try await withTracer(tracer) { try await pool.proxy.add(1, 2) }
                let routed = try #require(tracer.finishedSpans.first { $0.kind == "client" })
                #expect(routed.attributes["titan.pool.worker"] == pool.workers.first?.rawValue)
                #expect(routed.attributes["titan.process"] == pool.id.rawValue)

                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(restartPolicy: .always(maxRestarts: 3, backoff: .constant(.milliseconds(300)))))
                let events = EventRecorder(pm)
                try pm.kill(calc.id.process)
                _ = try await events.first("restarting") { $0.process == calc.id.process && $0.status == .restarting }
                _ = try await withTracer(tracer) { try await calc.add(3, 4) }
                let waited = try #require(tracer.finishedSpans.last { $0.kind == "client" })
                #expect(waited.events.contains("titan.wait_for_process"), "\(waited)")
                #expect(waited.events.contains("titan.process_ready"), "\(waited)")
            }
        }
    }
}
