import Glibc
import Logging
import Testing
import TitanPMTestKit
import TitanTestServices
@testable import TitanPM

extension TitanPMTests {
    @Suite struct LogCapture {
        /// Waits, through `pm.logs(of:follow:)`, for `count` lines matching `predicate`.
        private func awaitLines(_ pm: ProcessManager, _ id: ProcessID, _ count: Int = 1, timeout: Duration = .seconds(30),
                                where predicate: @escaping @Sendable (LogLine) -> Bool) async throws -> [LogLine] {
            let lines = try pm.logs(of: id, last: 10_000, follow: true)
            return try await within(timeout, "\(count) log lines of \(id)") {
                var found: [LogLine] = []
                for await line in lines where predicate(line) {
                    found.append(line)
                    if found.count == count { break }
                }
                return found
            }
        }

        @Test func aChildsPrintAndLogRecordsReachTheParentsLogHandlerWithMetadata() async throws {
            let captured = CapturedLogs()
            let pm = ProcessManager(logger: captured.logger())
            let chatter = try await pm.spawn(Chatter.self)
            let id = chatter.id.process
            let pid = try #require(pm.process(id: id)?.pid)
            try await chatter.say("hello from print")
            try await chatter.complain("trouble on stderr")
            try await chatter.log("a structured record", key: "user", value: "42")
            let lines = try await awaitLines(pm, id, 3) { $0.message.contains("hello from print") || $0.message.contains("trouble") || $0.message.contains("structured") }

            let stdout = try #require(lines.first { $0.source == .stdout })
            #expect(stdout.message == "hello from print" && stdout.pid == pid && stdout.service == "chatter" && stdout.level == .info)
            let stderr = try #require(lines.first { $0.source == .stderr })
            #expect(stderr.message == "trouble on stderr" && stderr.level == .error)
            let record = try #require(lines.first { $0.source == .log })
            #expect(record.message == "a structured record" && record.level == .warning)
            #expect(record.metadata["user"] == "42" && record.label == "chatter")

            // Re-emitted through the manager's own logger, with the process's metadata.
            let entries = captured.all
            let printed = try #require(entries.first { $0.message == "hello from print" })
            #expect(printed.metadata["process"] == id.rawValue)
            #expect(printed.metadata["pid"] == String(pid))
            #expect(printed.metadata["service"] == "chatter")
            #expect(printed.metadata["stream"] == "stdout")
            let logged = try #require(entries.first { $0.message == "a structured record" })
            #expect(logged.level == .warning)
            #expect(logged.metadata["user"] == "42" && logged.metadata["stream"] == "log" && logged.metadata["pid"] == String(pid))
            #expect(entries.first { $0.message == "trouble on stderr" }?.metadata["stream"] == "stderr")

            // Kept lines are replayed, oldest first.
            var replayed: [String] = []
            for await line in try pm.logs(of: id, last: 2) { replayed.append(line.message) }
            #expect(replayed.count == 2 && replayed.last == "a structured record")
            await pm.shutdown()
        }

        @Test func recordsLoggedWhileShuttingDownReachTheParent() async throws {
            let pm = ProcessManager(logger: CapturedLogs().logger())
            let chatter = try await pm.spawn(Chatter.self)
            let id = chatter.id.process
            let lines = try pm.logs(of: id, last: 0, follow: true)
            try await pm.stop(id)
            let goodbye = try await within(.seconds(20), "the shutdown hook's record") { () -> LogLine? in
                for await line in lines where line.message == "chatter shutting down" { return line }
                return nil
            }
            #expect(goodbye?.source == .log && goodbye?.level == .notice)
            await pm.shutdown()
        }

        @Test func logFilesRotateAtTheConfiguredSizeAndKeepNFiles() async throws {
            let directory = makeTemporaryDirectory("titan-logs")
            defer { removeTree(directory) }
            let rotation = LogRotation(maxFileSize: 4096, keep: 3)
            let pm = ProcessManager(observability: ObservabilityOptions(logs: LogOptions(reemit: false, directory: directory, rotation: rotation)))
            let chatter = try await pm.spawn(Chatter.self)
            let id = chatter.id.process
            #expect(try await chatter.flood(lines: 400, length: 100) == 400)
            _ = try await awaitLines(pm, id) { $0.message.hasPrefix("line 399 ") }

            let base = "\(id).log"
            #expect(fileNames(in: directory) == [base, "\(base).1", "\(base).2", "\(base).3"])
            for name in fileNames(in: directory) {
                #expect(fileSize("\(directory)/\(name)") <= rotation.maxFileSize, "\(name)")
            }
            // The newest lines are in the current file, the ones before in .1.
            let current = try #require(readFile("\(directory)/\(base)"))
            #expect(current.contains(" line 399 "))
            let previous = try #require(readFile("\(directory)/\(base).1"))
            let lastOfPrevious = try #require(previous.split(separator: "\n").last)
            let firstOfCurrent = try #require(current.split(separator: "\n").first)
            let number = { (line: Substring) in line.split(separator: " ").drop { $0 != "line" }.dropFirst().first.flatMap { Int($0) } }
            #expect(number(lastOfPrevious).map { $0 + 1 } == number(firstOfCurrent))
            await pm.shutdown()
        }

        @Test func aChildFloodingItsOutputDoesNotSlowTheParentsOtherCalls() async throws {
            let pm = ProcessManager(logger: CapturedLogs().logger())
            let flooder = try await pm.spawn(Chatter.self)
            let calc = try await pm.spawn(Calculator.self)
            func latencies(while running: () -> Bool, atLeast: Int) async throws -> [Duration] {
                var samples: [Duration] = []
                let clock = ContinuousClock()
                while samples.count < atLeast || running() {
                    let start = clock.now
                    _ = try await calc.add(1, 2)
                    samples.append(clock.now - start)
                }
                return samples.sorted()
            }
            _ = try await latencies(while: { false }, atLeast: 200)           // warm up
            let baseline = try await latencies(while: { false }, atLeast: 500)

            let lines = 100_000, length = 1000                                  // 100 MB
            let done = AsyncCounter()
            let flood = Task {
                defer { done.increment() }
                return try await ProcessActorSystem.withCallTimeout(.seconds(120)) { try await flooder.flood(lines: lines, length: length) }
            }
            let during = try await latencies(while: { done.value == 0 }, atLeast: 200)
            #expect(try await flood.value == lines)

            let ratio = during[during.count / 2] / baseline[baseline.count / 2]
            print("flood: baseline p50 \(baseline[baseline.count / 2]), during \(during[during.count / 2]) over \(during.count) calls, ratio \(ratio)")
            #expect(ratio < 4, "calls took \(ratio)x as long while a child wrote 100 MB")

            // Every line was either handled or counted as dropped.
            let stats = try await within(.seconds(60), "the flood's lines to be handled") {
                while true {
                    let stats = try #require(try await pm.metrics(of: flooder.id.process).logs)
                    if stats.handled + stats.dropped == stats.received && stats.received >= lines { return stats }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(stats.received == lines)
            print("flood: \(stats.handled) lines handled, \(stats.dropped) dropped")
            await pm.shutdown()
        }
    }
}
