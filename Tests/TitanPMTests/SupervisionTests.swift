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

/// Waits for the first supervisor event that `matches`, from a stream subscribed beforehand.
func nextEvent(
    _ events: AsyncStream<SupervisorEvent>,
    _ what: String,
    timeout: Duration = .seconds(20),
    where matches: @escaping @Sendable (SupervisorEvent) -> Bool
) async throws -> SupervisorEvent {
    try await within(timeout, what) {
        for await event in events where matches(event) { return event }
        throw TestTimeout(what: "\(what) (event stream ended)", timeout: .zero)
    }
}

extension TitanPMTests {
    /// Supervision trees over real processes; crashes are kill -9.
    @Suite struct Supervision {
        private func pids(_ supervisor: Supervisor) async -> [String: Int32] {
            var result: [String: Int32] = [:]
            for child in await supervisor.children { result[child.id] = child.pid }
            return result
        }

        private func kill(_ supervisor: Supervisor, _ child: String) async throws {
            let pid = try #require(await pids(supervisor)[child])
            Glibc.kill(pid, SIGKILL)
        }

        private func abc(_ strategy: SupervisionStrategy, _ pm: ProcessManager) async throws -> Supervisor {
            try await pm.supervisor(strategy: strategy, intensity: 10, within: .seconds(60)) {
                Child(Calculator.self, id: "a")
                Child(Calculator.self, id: "b")
                Child(Calculator.self, id: "c")
            }
        }

        @Test func oneForOneRestartsOnlyTheCrashedChild() async throws {
            try await withProcessManager { pm in
                let root = try await abc(.oneForOne, pm)
                let events = root.events
                let before = await pids(root)
                let b = try await root.reference(Calculator.self, id: "b")
                #expect(try await b.pid() == before["b"])
                try await kill(root, "b")
                _ = try await nextEvent(events, "restart") { if case .restarted(_, "b", ["b"]) = $0 { true } else { false } }
                let after = await pids(root)
                #expect(after["a"] == before["a"])
                #expect(after["c"] == before["c"])
                #expect(after["b"] != before["b"])
                // The same reference reaches the new incarnation.
                #expect(try await b.pid() == after["b"])
                #expect(await root.children.first { $0.id == "b" }?.restarts == 1)
            }
        }

        @Test func oneForAllRestartsEveryChild() async throws {
            try await withProcessManager { pm in
                let root = try await abc(.oneForAll, pm)
                let events = root.events
                let before = await pids(root)
                try await kill(root, "b")
                let event = try await nextEvent(events, "restart") { if case .restarted = $0 { true } else { false } }
                #expect(event == .restarted(supervisor: "root", cause: "b", children: ["a", "b", "c"]))
                let after = await pids(root)
                for id in ["a", "b", "c"] { #expect(after[id] != before[id], "\(id) kept its pid") }
                for pid in before.values { #expect(!ProcFS.isAlive(pid)) }
            }
        }

        @Test func restForOneRestartsLaterChildrenInOrder() async throws {
            try await withProcessManager { pm in
                let recorder = EventRecorder(pm)
                let root = try await abc(.restForOne, pm)
                let events = root.events
                let before = await pids(root)
                let ids = Dictionary(uniqueKeysWithValues: await root.children.map { ($0.id, $0.process!) })
                try await recorder.count("three children running", 3) { $0.status == .running }
                let mark = recorder.events.count
                try await kill(root, "b")
                let event = try await nextEvent(events, "restart") { if case .restarted = $0 { true } else { false } }
                #expect(event == .restarted(supervisor: "root", cause: "b", children: ["b", "c"]))
                try await recorder.count("b and c running again", 5) { $0.status == .running }
                let after = await pids(root)
                #expect(after["a"] == before["a"])
                #expect(after["b"] != before["b"])
                #expect(after["c"] != before["c"])
                // c was stopped after b crashed, then b started before c.
                let later = Array(recorder.events.dropFirst(mark))
                let cStopped = try #require(later.firstIndex { $0.process == ids["c"] && $0.status == .restarting })
                let bRunning = try #require(later.firstIndex { $0.process == ids["b"] && $0.status == .running })
                let cRunning = try #require(later.firstIndex { $0.process == ids["c"] && $0.status == .running })
                #expect(cStopped < bRunning)
                #expect(bRunning < cRunning)
            }
        }

        @Test func intensityExceededEscalatesToTheRootOfAThreeLevelTree() async throws {
            try await withProcessManager { pm in
                let root = try await pm.supervisor("root", intensity: 0, within: .seconds(60)) {
                    Child(Calculator.self, id: "steady")
                    Supervisor("middle", intensity: 0, within: .seconds(60)) {
                        Supervisor("leaf", intensity: 1, within: .seconds(60)) {
                            Child(Calculator.self, id: "fragile")
                        }
                    }
                }
                let rootEvents = root.events
                let middle = try #require(await root.supervisor("middle"))
                let leaf = try #require(await middle.supervisor("leaf"))
                let leafEvents = leaf.events
                let allPIDs = Array(await pids(root).values.compactMap { $0 }) + Array(await pids(leaf).values.compactMap { $0 })
                #expect(allPIDs.count == 2)

                // First crash: within the leaf's intensity, restarted there.
                try await kill(leaf, "fragile")
                _ = try await nextEvent(leafEvents, "leaf restart") { if case .restarted = $0 { true } else { false } }
                let replacement = try #require(await pids(leaf)["fragile"])
                // Second crash: the leaf gives up, the middle (intensity 0) gives up, the root
                // (intensity 0) gives up.
                Glibc.kill(replacement, SIGKILL)
                let failure = try await nextEvent(rootEvents, "root failure") { if case .failed = $0 { true } else { false } }
                guard case .failed("root", let error) = failure, error.code == .intensityExceeded, error.supervisor == "root" else {
                    Issue.record("unexpected \(failure)")
                    return
                }
                await #expect(throws: SupervisorError.self) { try await root.waitForTermination() }
                for pid in allPIDs + [replacement] { #expect(!ProcFS.isAlive(pid)) }
            }
        }

        @Test func transientAndTemporaryChildren() async throws {
            try await withProcessManager { pm in
                let root = try await pm.supervisor(intensity: 10, within: .seconds(60)) {
                    Child(Calculator.self, id: "transient", restart: .transient)
                    Child(Calculator.self, id: "temporary", restart: .temporary)
                    Child(Calculator.self, id: "permanent")
                }
                let events = root.events
                // A transient child that exits normally stays down.
                let transient = try await root.reference(Calculator.self, id: "transient")
                try? await transient.exit(code: 0)
                _ = try await nextEvent(events, "transient ignored") { $0 == .childIgnored(supervisor: "root", child: "transient") }
                #expect(await root.children.first { $0.id == "transient" }?.status == .stopped)
                // A temporary child is never restarted, even after a crash; it leaves.
                try await kill(root, "temporary")
                _ = try await nextEvent(events, "temporary ignored") { $0 == .childIgnored(supervisor: "root", child: "temporary") }
                #expect(await root.children.map(\.id) == ["transient", "permanent"])
                // A transient child that crashes is restarted (checked with a fresh tree).
                let second = try await pm.supervisor("second", intensity: 10, within: .seconds(60)) {
                    Child(Calculator.self, id: "t", restart: .transient)
                }
                let secondEvents = second.events
                let before = try #require(await pids(second)["t"])
                try await kill(second, "t")
                _ = try await nextEvent(secondEvents, "transient restarted") { if case .restarted = $0 { true } else { false } }
                #expect(await pids(second)["t"] != before)
            }
        }

        @Test func stopOrderIsReverseStartOrderAndNothingIsLeft() async throws {
            try await withProcessManager { pm in
                let recorder = EventRecorder(pm)
                let root = try await abc(.oneForOne, pm)
                let ids = await root.children.map { $0.process! }
                let allPIDs = await pids(root).values.compactMap { $0 }
                let started = try await recorder.count("three children running", 3) { $0.status == .running }.map(\.process)
                #expect(started == ids)
                await root.stop()
                let stopped = try await recorder.count("three children stopped", 3) { $0.status == .stopped }.map(\.process)
                #expect(stopped == ids.reversed())
                for pid in allPIDs { #expect(!ProcFS.isAlive(pid)) }
                try await root.waitForTermination()
                #expect(await root.children.isEmpty)
            }
        }

        @Test func backoffDelaysRestarts() async throws {
            try await withProcessManager { pm in
                let root = try await pm.supervisor(intensity: 10, within: .seconds(60), backoff: .constant(.milliseconds(400))) {
                    Child(Calculator.self, id: "slow-to-return")
                }
                let events = root.events
                try await kill(root, "slow-to-return")
                _ = try await nextEvent(events, "terminated") { if case .childTerminated = $0 { true } else { false } }
                let crashed = ContinuousClock.now
                _ = try await nextEvent(events, "restart") { if case .restarted = $0 { true } else { false } }
                #expect(ContinuousClock.now - crashed >= .milliseconds(400))
            }
        }

        @Test func crashHookDecides() async throws {
            try await withProcessManager { pm in
                let root = try await pm.supervisor(intensity: 10, within: .seconds(60), onChildCrash: { crash in
                    crash.child == "keep-down" ? .ignore : crash.child == "fatal" ? .escalate : crash.defaultDecision
                }) {
                    Child(Calculator.self, id: "keep-down")
                    Child(Calculator.self, id: "fatal")
                }
                let events = root.events
                try await kill(root, "keep-down")
                _ = try await nextEvent(events, "ignored") { $0 == .childIgnored(supervisor: "root", child: "keep-down") }
                #expect(await root.children.first { $0.id == "keep-down" }?.pid == nil)
                let fatalPID = try #require(await pids(root)["fatal"])
                Glibc.kill(fatalPID, SIGKILL)
                await #expect(throws: SupervisorError.escalated(supervisor: "root", child: "fatal", reason: "signal SIGKILL")) {
                    try await root.waitForTermination()
                }
                let failed = try await nextEvent(events, "failure event") { if case .failed = $0 { true } else { false } }
                #expect(failed == .failed(supervisor: "root", error: .escalated(supervisor: "root", child: "fatal", reason: "signal SIGKILL")))
                #expect(await root.children.isEmpty)
            }
        }

        @Test func simpleOneForOneAddsAndRemovesChildren() async throws {
            try await withProcessManager { pm in
                let root = try await pm.supervisor(strategy: .simpleOneForOne, intensity: 10, within: .seconds(60)) {
                    Child(Calculator.self, id: "calc")
                }
                #expect(await root.children.isEmpty)
                var refs: [Calculator] = []
                for _ in 0..<3 { refs.append(try await root.startChild(as: Calculator.self)) }
                #expect(await root.children.map(\.id) == ["calc-1", "calc-2", "calc-3"])
                for ref in refs { #expect(try await ref.add(1, 1) == 2) }
                try await root.terminateChild("calc-2")
                #expect(await root.children.map(\.id) == ["calc-1", "calc-3"])
                let events = root.events
                let before = try #require(await pids(root)["calc-3"])
                try await kill(root, "calc-3")
                _ = try await nextEvent(events, "restart") { if case .restarted(_, "calc-3", _) = $0 { true } else { false } }
                #expect(try await refs[2].pid() != before)
            }
        }

        @Test func poolChildAndSignificantChildAutoShutdown() async throws {
            try await withProcessManager { pm in
                let root = try await pm.supervisor(intensity: 10, within: .seconds(60), autoShutdown: .anySignificant) {
                    Child(PoolWorkerService.self, pool: 2, id: "workers")
                    Child(Calculator.self, id: "main", restart: .transient, critical: true)
                }
                let workers = try await root.reference(PoolWorkerService.self, id: "workers")
                var seen = Set<Int32>()
                for i in 0..<10 { seen.insert(try await workers.work(i).pid) }
                #expect(seen.count == 2)
                #expect(await root.children.map(\.kind) == [.pool, .process])
                // The significant child finishing normally stops the whole supervisor.
                let main = try await root.reference(Calculator.self, id: "main")
                try? await main.exit(code: 0)
                try await within(.seconds(20), "auto-shutdown") { try await root.waitForTermination() }
                for pid in seen { #expect(!ProcFS.isAlive(pid)) }
            }
        }

        @Test func restartChildReplacesOnlyThatChild() async throws {
            try await withProcessManager { pm in
                let root = try await abc(.oneForAll, pm)
                let before = await pids(root)
                try await root.restartChild("c")
                let after = await pids(root)
                #expect(after["a"] == before["a"])
                #expect(after["b"] == before["b"])
                #expect(after["c"] != before["c"])
                #expect(await root.children.first { $0.id == "c" }?.restarts == 1)
                await #expect(throws: SupervisorError.noSuchChild("zzz")) { try await root.restartChild("zzz") }
                #expect(try await root.reference(Calculator.self, id: "c").pid() == after["c"])
            }
        }

        @Test func callsWaitDuringARestart() async throws {
            try await withProcessManager { pm in
                let root = try await pm.supervisor(intensity: 10, within: .seconds(60), backoff: .constant(.milliseconds(300))) {
                    Child(Calculator.self, id: "calc", options: SpawnOptions(callTimeout: .seconds(10)))
                }
                let calc = try await root.reference(Calculator.self, id: "calc")
                let before = try await calc.pid()
                let events = root.events
                try await kill(root, "calc")
                // Made while the child is down (its exit handled, the restart still in its
                // backoff): waits for the new incarnation instead of failing.
                _ = try await nextEvent(events, "terminated") { if case .childTerminated = $0 { true } else { false } }
                #expect(try await calc.add(20, 22) == 42)
                #expect(try await calc.pid() != before)
            }
        }
    }
}
