import Testing
import TitanPMTestKit
import TitanTestServices
@testable import TitanPM
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

extension TitanPMTests {
    /// `RemoteStream` across real child processes: order, back-pressure, cancellation,
    /// errors, crashes, both directions.
    @Suite struct Streaming {
        @Test func millionElementsArriveInOrder() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                var expected = 0
                for try await value in try await streamer.numbers(upTo: 1_000_000) {
                    guard value == expected else {
                        Issue.record("element \(expected) arrived as \(value)")
                        return
                    }
                    expected += 1
                }
                #expect(expected == 1_000_000)
            }
        }

        @Test func structuredElementsRoundTrip() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                var received: [Point] = []
                for try await point in try await streamer.words(500) { received.append(point) }
                #expect(received == (0..<500).map { Point(x: Double($0), y: 0, label: "w\($0)") })
            }
        }

        @Test func slowConsumerBoundsTheProducer() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                let window = 16
                var consumed = 0
                var worstLead = 0
                for try await _ in try await streamer.tracked(limit: 400).window(window) {
                    consumed += 1
                    // The consumer is far slower than the producer (which does no work).
                    try await Task.sleep(for: .milliseconds(1))
                    if consumed.isMultiple(of: 20) {
                        let report = try await streamer.report()
                        worstLead = max(worstLead, report.produced - consumed)
                        #expect(report.maxBuffered <= window)
                    }
                }
                let report = try await streamer.reportWhenStopped()
                #expect(consumed == 400)
                #expect(report.produced == 400)
                // Never more than a window buffered at the producer, plus a window in flight
                // or waiting at the consumer.
                #expect(report.maxBuffered <= window)
                #expect(worstLead <= 2 * window + 1)
                #expect(worstLead > 0)
            }
        }

        @Test func breakingOutStopsTheProducer() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                let window = 4
                var seen: [Int] = []
                for try await value in try await streamer.tracked().window(window) {
                    seen.append(value)
                    if seen.count == 10 { break }
                }
                #expect(seen == Array(0..<10))
                let report = try await within(.seconds(10), "producer to stop") {
                    try await streamer.reportWhenStopped()
                }
                #expect(report.cancelled)
                #expect(report.produced <= 10 + 2 * window + 1)
                // The reference still serves ordinary calls.
                #expect(try await streamer.ping() == "pong")
            }
        }

        @Test func cancellingTheConsumingTaskStopsTheProducer() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                let stream = try await streamer.tracked().window(8)
                let received = AsyncCounter()
                let consumer = Task {
                    for try await _ in stream { received.increment() }
                }
                #expect(await eventually { received.value >= 10 })
                consumer.cancel()
                await #expect(throws: CancellationError.self) { try await consumer.value }
                let report = try await within(.seconds(10), "producer to stop") {
                    try await streamer.reportWhenStopped()
                }
                #expect(report.cancelled)
            }
        }

        @Test func producerErrorArrivesAsItsOwnType() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                var seen: [Int] = []
                do {
                    for try await value in try await streamer.failing(after: 5) { seen.append(value) }
                    Issue.record("the stream ended without its error")
                } catch let error as StreamFailure {
                    #expect(error == StreamFailure(after: 5))
                }
                #expect(seen == [0, 1, 2, 3, 4])
            }
        }

        @Test func childCrashMidStreamEndsWithProcessExited() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                let id = streamer.id.process
                var seen = 0
                do {
                    for try await _ in try await streamer.tracked().window(32) {
                        seen += 1
                        if seen == 10 { try pm.kill(id, signal: .kill) }
                    }
                    Issue.record("the stream ended normally after \(seen) elements")
                } catch let error as ProcessError {
                    #expect(error.code == .processExited)
                    #expect(error.process == id)
                    #expect(error.termination == .signaled(.kill))
                }
                #expect(seen >= 10)
            }
        }

        @Test func threeStreamsAndCallsShareOneReference() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for n in [10_000, 20_000, 30_000] {
                        group.addTask {
                            var sum = 0
                            var next = 0
                            for try await value in try await streamer.numbers(upTo: n) {
                                #expect(value == next)
                                next += 1
                                sum += value
                            }
                            return sum
                        }
                    }
                    group.addTask {
                        var pongs = 0
                        for _ in 0..<200 where try await streamer.ping() == "pong" { pongs += 1 }
                        return pongs
                    }
                    var results: [Int] = []
                    for try await result in group { results.append(result) }
                    let expected = [10_000, 20_000, 30_000].map { $0 * ($0 - 1) / 2 } + [200]
                    #expect(results.sorted() == expected.sorted())
                }
            }
        }

        @Test func uploadAndBidirectionalTransform() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                // Upload: the child consumes a stream this process produces.
                #expect(try await streamer.sum(RemoteStream(elements: 1...10_000)) == 50_005_000)

                // Both ways at once: the child transforms elements while they flow.
                var output: [Int] = []
                for try await value in try await streamer.doubled(RemoteStream(elements: 0..<5_000)) {
                    output.append(value)
                }
                #expect(output == (0..<5_000).map { $0 * 2 })

                // A stream the child received and returns is relayed back.
                let words = ["alpha", "beta", "gamma"]
                var echoed: [String] = []
                for try await word in try await streamer.relay(RemoteStream(elements: words)) { echoed.append(word) }
                #expect(echoed == words)
            }
        }

        @Test func uploadErrorReachesTheChild() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                let failing = RemoteStream<Int> { out in
                    try await out.yield(1)
                    throw StreamFailure(after: 1)
                }
                await #expect(throws: StreamFailure(after: 1)) { try await streamer.sum(failing) }
            }
        }

        @Test func inProcessServiceStreamsWithTheSameAPI() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self, options: SpawnOptions(isolation: .inProcess))
                var count = 0
                for try await value in try await streamer.numbers(upTo: 10_000) {
                    #expect(value == count)
                    count += 1
                }
                #expect(count == 10_000)
                #expect(try await streamer.sum(RemoteStream(elements: 1...100)) == 5050)
            }
        }

        @Test func unclaimedStreamsAreReleasedWhenTheConsumerDropsThem() async throws {
            try await withProcessManager { pm in
                let streamer = try await pm.spawn(Streamer.self)
                // Received but never iterated: dropping it tells the child to let it go.
                do {
                    let stream = try await streamer.tracked()
                    _ = stream
                }
                // The cancel frame went before this call on the same connection, so the child
                // has let the stream go by the time it answers; its producer never started.
                #expect(try await streamer.ping() == "pong")
                #expect(try await streamer.unclaimedStreams() == 0)
                #expect(try await streamer.report().produced == 0)
                // Iterated streams are claimed, and released when done.
                for try await _ in try await streamer.numbers(upTo: 10) {}
                #expect(try await streamer.unclaimedStreams() == 0)
            }
        }
    }
}
