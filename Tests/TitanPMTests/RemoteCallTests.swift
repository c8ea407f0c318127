import Glibc
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
    /// Calls on a service in a real child process (the re-executed test binary).
    @Suite struct RemoteCalls {
        /// The name of the thread running the caller.
        private static func threadName() -> String {
            let bytes = ProcFS.read("/proc/thread-self/comm") ?? []
            return String(decoding: bytes.filter { $0 != 10 }, as: UTF8.self)
        }

        @Test func affinityResumesCallersOnTheReaderThread() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let (names, sum) = try await ProcessActorSystem.withAffinity(to: calc) {
                    // The body starts on a pool thread. Its first reply can beat the caller's
                    // suspension (on a loaded machine), and then that caller goes on where it
                    // was; the first reply that finds it suspended moves it to the reader.
                    var warmups = 0
                    while Self.threadName() != "titan-client" && warmups < 20 {
                        _ = try await calc.add(0, 0)
                        warmups += 1
                    }
                    var names: Set<String> = []
                    var sum = 0
                    for i in 0..<50 {
                        sum += try await calc.add(i, 1)
                        names.insert(Self.threadName())
                    }
                    return (names, sum)
                }
                #expect(sum == (0..<50).reduce(0, +) + 50)
                // Every reply resumed its caller on the connection's reader thread.
                #expect(names == ["titan-client"])
                // Without affinity, callers resume on the cooperative pool.
                _ = try await calc.add(1, 1)
                #expect(Self.threadName() != "titan-client")
            }
        }

        @Test func serviceRunsInAnotherProcess() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let childPID = try await calc.pid()
                #expect(childPID != getpid())
                #expect(pm.process(id: calc.id.process)?.pid == childPID)
                #expect(try await calc.add(2, 3) == 5)
            }
        }

        @Test func scalarsStructsArraysOptionalsAndBytesRoundTrip() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                #expect(try await calc.scalars(true, -8, 65535, -32, .max, 1.5, -2.25, "héllo ✓") == "true -8 65535 -32 18446744073709551615 1.5 -2.25 héllo ✓")
                #expect(try await calc.mirror(Point(x: 1, y: -2, label: "a")) == Point(x: -1, y: 2, label: "mirrored a"))
                #expect(try await calc.mirror(Point(x: 0.5, y: 3)) == Point(x: -0.5, y: -3, label: nil))
                #expect(try await calc.sum(Array(1...1000)) == 500_500)
                #expect(try await calc.sum([]) == 0)
                let points = try await calc.points(100)
                #expect(points.count == 100)
                #expect(points[10] == Point(x: 10, y: 20, label: "p10"))
                #expect(points[11].label == nil)
                #expect(try await calc.maybe(7) == "got 7")
                #expect(try await calc.maybe(nil) == nil)
                let bytes = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                #expect(try await calc.reverse(bytes) == bytes.reversed())
                #expect(try await calc.reverse([]) == [])
                #expect(try await calc.bytes(count: 1 << 20).count == 1 << 20)
            }
        }

        @Test func genericDistributedFunctions() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                #expect(try await calc.echo(42) == 42)
                #expect(try await calc.echo("text") == "text")
                #expect(try await calc.echo([Point(x: 1, y: 2)]) == [Point(x: 1, y: 2)])
                #expect(try await calc.echo(["a": 1, "b": 2]) == ["a": 1, "b": 2])
                #expect(try await calc.echo(Optional<Int>.none) == nil)
                #expect(try await calc.pair(1, "x") == ["Int=1", "String=x"])
            }
        }

        @Test func codableErrorArrivesAsItsOwnType() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                await #expect(throws: MathError.divisionByZero(dividend: 10)) {
                    try await calc.divide(10, by: 0)
                }
                #expect(try await calc.divide(10, by: 2) == 5)
            }
        }

        @Test func nonCodableErrorArrivesAsRemoteWithTypeAndMessage() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                do {
                    try await calc.failOpaquely("disk on fire")
                    Issue.record("expected an error")
                } catch let error as ProcessError {
                    #expect(error.code == .remote)
                    #expect(error.remoteType == "TitanTestServices.OpaqueFailure")
                    #expect(error.message == "opaque failure: disk on fire")
                }
            }
        }

        @Test func thousandConcurrentCallsOnOneReference() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let results = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                    for i in 0..<1000 {
                        group.addTask { (i, try await calc.add(i, i)) }
                    }
                    var results: [Int: Int] = [:]
                    for try await (i, sum) in group { results[i] = sum }
                    return results
                }
                #expect(results.count == 1000)
                #expect(results.allSatisfy { $0.value == 2 * $0.key })
                #expect(try await calc.callCount() == 1000)
            }
        }

        @Test func callsFromOneCallerRunInOrder() async throws {
            try await withProcessManager { pm in
                let store = try await pm.spawn(KeyValueStore.self, configuration: StoreConfiguration(label: "order"))
                for i in 0..<200 {
                    try await store.set("k", "\(i)")
                }
                #expect(try await store.get("k") == "199")
            }
        }

        @Test func configurationReachesTheChild() async throws {
            try await withProcessManager { pm in
                let configuration = StoreConfiguration(label: "primary", limits: ["maxValues": 1])
                let store = try await pm.spawn(KeyValueStore.self, configuration: configuration)
                #expect(try await store.currentConfiguration() == configuration)
                #expect(try await store.pid() != getpid())
            }
        }

        @Test func configureThatThrowsFailsTheSpawn() async throws {
            try await withProcessManager { pm in
                do {
                    _ = try await pm.spawn(KeyValueStore.self, configuration: StoreConfiguration(label: "x", failConfigure: true))
                    Issue.record("spawn should fail")
                } catch let error as ProcessError {
                    #expect(error.code == .configurationFailed)
                    #expect(error.message.contains("asked to fail"))
                }
                #expect(pm.processes.isEmpty)
            }
        }

        @Test func everyFailedStartKeepsItsReasonWhenManyFailAtOnce() async throws {
            // Each child writes its reason and exits at once, so its exit is often handled
            // while the start is still reading the reason: the reason must survive that.
            try await withProcessManager { pm in
                let reasons = await withTaskGroup(of: String.self) { group in
                    for index in 0..<16 {
                        group.addTask {
                            do {
                                _ = try await pm.spawn(KeyValueStore.self, configuration: StoreConfiguration(label: "f\(index)", failConfigure: true))
                                return "spawned"
                            } catch let error as ProcessError where error.code == .configurationFailed {
                                return error.message
                            } catch {
                                return "\(error)"
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                #expect(reasons.count == 16)
                #expect(reasons.filter { !$0.contains("asked to fail") } == [])
                #expect(pm.processes.isEmpty)
            }
        }

        @Test func healthCheckIsAnsweredByTheService() async throws {
            try await withProcessManager { pm in
                let store = try await pm.spawn(KeyValueStore.self, configuration: StoreConfiguration(label: "h", limits: ["maxValues": 1]))
                #expect(try await pm.health(of: store.id.process) == .healthy)
                try await store.set("a", "1")
                try await store.set("b", "2")
                let health = try await pm.health(of: store.id.process)
                #expect(health.state == .degraded)
                #expect(health.details["values"] == "2")
            }
        }

        @Test func perCallTimeoutOverridesTheDefault() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(callTimeout: .seconds(30)))
                await #expect(throws: ProcessError.timedOut(after: .milliseconds(100))) {
                    try await ProcessActorSystem.withCallTimeout(.milliseconds(100)) {
                        try await calc.sleep(milliseconds: 5000)
                    }
                }
                // The service keeps serving after a timed-out call.
                #expect(try await calc.add(1, 1) == 2)
            }
        }

        @Test func defaultCallTimeoutComesFromSpawnOptions() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(callTimeout: .milliseconds(150)))
                await #expect(throws: ProcessError.timedOut(after: .milliseconds(150))) {
                    try await calc.sleep(milliseconds: 5000)
                }
                #expect(try await calc.sleep(milliseconds: 1) == 1)
            }
        }

        @Test func cancellingTheCallerCancelsTheCall() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let task = Task { try await calc.sleep(milliseconds: 20_000) }
                #expect(await eventually { pm.inFlightCalls(calc.id.process) == 1 })
                task.cancel()
                let started = ContinuousClock.now
                await #expect(throws: CancellationError.self) { try await task.value }
                #expect(ContinuousClock.now - started < .seconds(5))
                #expect(try await calc.add(2, 2) == 4)
            }
        }

        @Test func inProcessIsolationHasTheSameAPI() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(isolation: .inProcess))
                #expect(try await calc.pid() == getpid())
                #expect(try await calc.add(20, 22) == 42)
                await #expect(throws: MathError.divisionByZero(dividend: 1)) { try await calc.divide(1, by: 0) }
                let info = try #require(pm.process(id: calc.id.process))
                #expect(info.isolation == .inProcess)
                #expect(info.status == .running)
                #expect(throws: ProcessError.self) { try pm.kill(calc.id.process) }
            }
        }

        @Test func processTableDescribesEachChild() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let store = try await pm.spawn(KeyValueStore.self, configuration: StoreConfiguration(label: "t"), options: SpawnOptions(name: "store", version: "9.9"))
                let table = pm.processes
                #expect(table.map(\.id) == [calc.id.process, store.id.process])
                let first = table[0]
                #expect(first.name == "calculator")
                #expect(first.version == "1.2.3")
                #expect(first.status == .running)
                #expect(first.pid == (try await calc.pid()))
                #expect(first.restarts == 0)
                #expect(first.startTime != nil)
                #expect((first.residentMemory ?? 0) > 1 << 20)
                #expect(table[1].name == "store")
                #expect(table[1].version == "9.9")
                #expect(store.id.process.rawValue.hasPrefix("store-"))
            }
        }

        @Test func environmentArgumentsAndWorkingDirectoryReachTheChild() async throws {
            try await withProcessManager { pm in
                let options = SpawnOptions(arguments: ["--flag", "value"], environment: ["TITAN_TEST_VAR": "from parent"], workingDirectory: "/tmp")
                let calc = try await pm.spawn(Calculator.self, options: options)
                #expect(try await calc.environment("TITAN_TEST_VAR") == "from parent")
                #expect(try await calc.environment("TITAN_PM_ROLE") == nil)
                #expect(try await calc.workingDirectory() == "/tmp")
                #expect(try await calc.arguments().suffix(2) == ["--flag", "value"])
            }
        }
    }
}
