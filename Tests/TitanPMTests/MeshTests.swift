import Glibc
import Testing
import TitanPMTestKit
import TitanTestServices
@testable import TitanPM
import TitanActorSystem
import TitanCore

extension TitanPMTests {
    /// The registry and discovery, across real processes.
    @Suite struct Discovery {
        @Test func aVersionRangePicksTheMatchingOneOfTwoVersions() async throws {
            try await withProcessManager { pm in
                let old = try await pm.spawn(MeshGreeter.self, options: SpawnOptions(version: "1.2.0"))
                let new = try await pm.spawn(MeshGreeter.self, options: SpawnOptions(version: "2.0.1"))
                #expect(try await pm.discover(MeshGreeter.self, version: "^1.2").id.process == old.id.process)
                #expect(try await pm.discover(MeshGreeter.self, version: ">=2.0.0 <3").id.process == new.id.process)
                // Of several matches the highest version wins.
                #expect(try await pm.discover(MeshGreeter.self).id.process == new.id.process)
                let found = try await pm.discover(MeshGreeter.self, version: "~1.2")
                #expect(try await found.pid() == (try await old.pid()))
                await #expect(throws: DiscoveryError(.notFound, "no running mesh-greeter@^3 within 0.2 seconds", members: ["mesh-greeter"])) {
                    _ = try await pm.discover(MeshGreeter.self, version: "^3", timeout: .milliseconds(200))
                }
                let error = await #expect(throws: DiscoveryError.self) {
                    _ = try await pm.discover(MeshGreeter.self, version: "^^1")
                }
                #expect(error?.code == .invalidVersion)
            }
        }

        @Test func aWaitingDiscoveryResolvesWhenTheServiceStarts() async throws {
            try await withProcessManager { pm in
                let waiting = Task { try await pm.discover(MeshGreeter.self, version: "^1", timeout: .seconds(30)) }
                let changes = EventRecorder(pm.registryChanges)
                let greeter = try await pm.spawn(MeshGreeter.self)
                let found = try await waiting.value
                #expect(found.id.process == greeter.id.process)
                #expect(try await found.greet("x").hasPrefix("hello x"))
                try await changes.first("registered") { $0.kind == .registered && $0.registration.process == greeter.id.process }
            }
        }

        @Test func registryChangesFollowStartsCrashesRestartsAndStops() async throws {
            try await withProcessManager { pm in
                let changes = EventRecorder(pm.registryChanges)
                let greeter = try await pm.spawn(MeshGreeter.self, options: SpawnOptions(restartPolicy: .always(maxRestarts: 3)))
                let id = greeter.id.process
                let first = try await changes.first("registered") { $0.kind == .registered && $0.registration.process == id }
                #expect(first.registration.name == "mesh-greeter")
                #expect(first.registration.version == SemanticVersion(1, 2, 0))
                #expect(first.registration.kind == .process)
                #expect(pm.registrations.map(\.process) == [id])

                try await pm.simulateCrash(of: id)
                try await changes.first("unregistered after the crash") { $0.kind == .unregistered && $0.registration.process == id }
                _ = try await pm.awaitRecovery(of: id)
                let again = try await changes.count("registered again", 2) { $0.kind == .registered && $0.registration.process == id }
                #expect(again[1].registration.pid != first.registration.pid)
                #expect(again[1].registration.pid == (try await greeter.pid()))

                try await pm.stop(id)
                try await changes.count("unregistered after the stop", 2) { $0.kind == .unregistered && $0.registration.process == id }
                #expect(pm.registrations.isEmpty)
            }
        }

        @Test func aSupervisedChildRegistersAndReRegistersAfterTheSupervisorRestartsIt() async throws {
            try await withProcessManager { pm in
                let changes = EventRecorder(pm.registryChanges)
                let root = try await pm.supervisor(strategy: .oneForOne, intensity: 5, within: .seconds(60)) {
                    Child(MeshGreeter.self, id: "greeter")
                }
                let first = try await changes.first("registered") { $0.kind == .registered }
                let found = try await pm.discover(MeshGreeter.self, version: "^1")
                #expect(found.id.process == first.registration.process)
                let pid = try #require(first.registration.pid)
                kill(pid, SIGKILL)
                let again = try await changes.count("registered again", 2) { $0.kind == .registered }
                #expect(again[1].registration.pid != pid)
                #expect(try await pm.discover(MeshGreeter.self, timeout: .seconds(2)).pid() == again[1].registration.pid)
                _ = root
            }
        }

        @Test func aPoolRegistersAsOneServiceAndIsDiscoveredAsThePool() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(MeshGreeter.self, options: PoolOptions(size: .fixed(2)))
                #expect(pm.registrations.map(\.kind) == [.pool])
                let found = try await pm.discover(MeshGreeter.self, version: "^1")
                #expect(found.id.process == pool.id)
                #expect(try await found.greet("pool").hasPrefix("hello pool"))
            }
        }
    }

    /// Calls from one child to another, straight over a socket between them.
    @Suite struct ChildToChild {
        @Test func aChildCallsTheServiceItDiscoveredDirectly() async throws {
            try await withProcessManager { pm in
                let greeter = try await pm.spawn(MeshGreeter.self)
                let caller = try await pm.spawn(MeshCaller.self)
                #expect(try await caller.find(version: "^1.0", timeout: .seconds(10)) == greeter.id.process.rawValue)
                #expect(try await caller.greet("peer") == "hello peer from \(try await greeter.pid())")
                // The greeter's end of the connection those calls came on is held by the caller's
                // process, not by the manager: the calls do not pass through the parent.
                let callerPID = try #require(pm.process(id: caller.id.process)?.pid)
                #expect(try await caller.callerPIDSeenByGreeter() == callerPID)
                #expect(try await greeter.callerPID() == getpid())
            }
        }

        @Test func aDiscoveryInAChildWaitsForTheServiceAndFailsTypedWhenNoneComes() async throws {
            try await withProcessManager { pm in
                let caller = try await pm.spawn(MeshCaller.self)
                let error = await #expect(throws: DiscoveryError.self) {
                    _ = try await caller.find(version: "^1", timeout: .milliseconds(200))
                }
                #expect(error?.code == .notFound)
                async let found = caller.find(version: "^1", timeout: .seconds(30))
                let greeter = try await pm.spawn(MeshGreeter.self)
                #expect(try await found == greeter.id.process.rawValue)
            }
        }

        @Test func callsInFlightFailAtOnceWhenThePeerDiesAndTheReferenceWorksAfterItsRestart() async throws {
            try await withProcessManager { pm in
                let greeter = try await pm.spawn(MeshGreeter.self, options: SpawnOptions(restartPolicy: .always(maxRestarts: 3)))
                let caller = try await pm.spawn(MeshCaller.self)
                _ = try await caller.find(version: "*", timeout: .seconds(10))
                let before = try await caller.greeterPID()

                try await caller.startHolds(100)
                try await greeter.waitUntilHolding(100)
                let killed = ContinuousClock.now
                try await pm.simulateCrash(of: greeter.id.process)
                let outcomes = try await caller.holdOutcomes()
                let failedAfter = ContinuousClock.now - killed
                #expect(outcomes.count == 100)
                #expect(Set(outcomes) == ["processExited"])
                // At once: not at the calls' 30-second timeout.
                #expect(failedAfter < .seconds(10))

                _ = try await pm.awaitRecovery(of: greeter.id.process)
                let after = try await caller.greeterPID()
                #expect(after != before)
                #expect(after == (try await greeter.pid()))
            }
        }

        @Test func aServiceSpawnedUnreachableIsNotIntroducedToChildren() async throws {
            try await withProcessManager { pm in
                var options = SpawnOptions()
                options.reachableByChildren = false
                let greeter = try await pm.spawn(MeshGreeter.self, options: options)
                let caller = try await pm.spawn(MeshCaller.self)
                let error = await #expect(throws: DiscoveryError.self) {
                    _ = try await caller.find(version: "^1", timeout: .seconds(5))
                }
                #expect(error?.code == .notReachable)
                // The manager's own references are unaffected.
                #expect(try await pm.discover(MeshGreeter.self).id.process == greeter.id.process)
            }
        }

        @Test func aChildHoldsAtMostFourConnectionsToTheMeshEndpoint() async throws {
            try await withProcessManager { pm in
                let probe = try await pm.spawn(MeshProbe.self)
                #expect(try await probe.openMeshConnections(10) == MeshEndpointServer.maxConnectionsPerChild)
            }
        }

        @Test func aChildsCallsKeepTheirTimeoutsAndTheCalleesPolicies() async throws {
            try await withProcessManager { pm in
                _ = try await pm.spawn(MeshGreeter.self)
                let lab = try await pm.spawn(PolicyLab.self)
                let caller = try await pm.spawn(MeshCaller.self)
                _ = try await caller.find(version: "^1", timeout: .seconds(10))
                #expect(try await caller.holdWithTimeout(.milliseconds(200)) == "timedOut")
                // `flaky` fails twice, and its @Retry(3) — applied by the calling child — gets
                // it through on the third attempt, each with the same idempotency key.
                let keys = try await caller.flakyThroughDiscovery("from-a-child")
                #expect(keys.count == 3)
                #expect(Set(keys).count == 1)
                #expect(try await lab.runs("flaky") == 3)
            }
        }

        @Test func aChildSpreadsItsCallsToAPoolOverItsWorkersAndFollowsAReplacedOne() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(MeshGreeter.self, options: PoolOptions(size: .fixed(2)))
                let caller = try await pm.spawn(MeshCaller.self)
                #expect(try await caller.find(version: "^1", timeout: .seconds(10)) == pool.id.rawValue)
                let workerPIDs = Set(pm.processes.filter { pool.workers.contains($0.id) }.compactMap(\.pid))
                #expect(workerPIDs.count == 2)
                // In turn, each over the caller's own connection to the worker.
                let answered = try await caller.greeterPIDs(6)
                #expect(Set(answered) == workerPIDs)
                #expect(answered[0] != answered[1])

                // A worker the pool replaces: the child's calls find the new one.
                let poolEvents = EventRecorder(pool.events)
                let victim = try #require(workerPIDs.first)
                kill(victim, SIGKILL)
                let replaced = try await poolEvents.first("replaced") { $0.kind == .workerReplaced }
                // Its replacement runs in the same slot.
                try await poolEvents.first("the replacement started") { $0.kind == .workerStarted && $0.slot == replaced.slot }
                let now = Set(pm.processes.filter { pool.workers.contains($0.id) }.compactMap(\.pid))
                #expect(now.count == 2 && !now.contains(victim))
                // No call was in flight: none fails, and they reach the two that run now.
                #expect(Set(try await caller.greeterPIDs(6)) == now)
            }
        }
    }

    /// Start order from declared dependencies.
    @Suite struct Dependencies {
        @Test func dependenciesStartFirstInOrderAndAreReachedTyped() async throws {
            try await withProcessManager { pm in
                let events = EventRecorder(pm.events)
                let checkout = try await pm.spawn(DepCheckout.self)
                #expect(try await checkout.total() == 82)
                let running = events.events.filter { $0.status == .running }.map(\.name)
                #expect(running == ["dep-ledger", "dep-inventory", "dep-checkout"])
                #expect(Set(pm.registrations.map(\.name)) == ["dep-ledger", "dep-inventory", "dep-checkout"])
                // Spawning another dependent starts nothing new.
                _ = try await pm.spawn(DepInventory.self)
                #expect(pm.processes.filter { $0.name == "dep-ledger" }.count == 1)
            }
        }

        @Test func requireRefusesAMissingDependencyAndStartsNothing() async throws {
            try await withProcessManager { pm in
                let error = await #expect(throws: DiscoveryError.self) {
                    _ = try await pm.spawn(DepInventory.self, options: SpawnOptions(dependencies: .require))
                }
                #expect(error?.code == .dependencyNotRunning)
                #expect(error?.members == ["dep-ledger"])
                #expect(pm.processes.isEmpty)
                _ = try await pm.spawn(DepLedger.self)
                _ = try await pm.spawn(DepInventory.self, options: SpawnOptions(dependencies: .require))
            }
        }

        @Test func aCycleIsRefusedWithItsMembersNamed() async throws {
            try await withProcessManager { pm in
                let error = await #expect(throws: DiscoveryError.self) {
                    _ = try await pm.spawn(CycleA.self)
                }
                #expect(error?.code == .dependencyCycle)
                #expect(error?.members == ["cycle-a", "cycle-b", "cycle-c", "cycle-a"])
                #expect(pm.processes.isEmpty)
            }
        }
    }

    /// Typed events between processes.
    @Suite struct Events {
        private static func expectInOrder(_ ticks: [MeshTick], from publishers: [String: Int]) {
            for (publisher, count) in publishers {
                #expect(ticks.filter { $0.publisher == publisher }.map(\.sequence) == Array(0..<count), "ticks of \(publisher)")
            }
        }

        @Test func eventsFanOutToThreeSubscribersInThreeProcessesCompleteAndInOrder() async throws {
            try await withProcessManager { pm in
                var sinks: [EventSink] = []
                for _ in 0..<3 {
                    let sink = try await pm.spawn(EventSink.self)
                    try await sink.subscribe(bufferSize: 10_000, overflow: "dropOldest")
                    sinks.append(sink)
                }
                let local = try await pm.eventBus.subscribe(to: MeshTick.self, bufferSize: 10_000)
                let source = try await pm.spawn(EventSource.self)
                async let published: Void = source.publish(500, tag: "child")
                for sequence in 0..<500 { try await pm.eventBus.emit(MeshTick(publisher: "parent", sequence: sequence)) }
                try await published
                for sink in sinks {
                    let ticks = try await sink.take(1000)
                    #expect(ticks.count == 1000)
                    Self.expectInOrder(ticks, from: ["child": 500, "parent": 500])
                    #expect(try await sink.dropped() == 0)
                }
                var received: [MeshTick] = []
                for await tick in local {
                    received.append(tick)
                    if received.count == 1000 { break }
                }
                Self.expectInOrder(received, from: ["child": 500, "parent": 500])
            }
        }

        @Test func anEventCrossesASubscribersConnectionOnceWhateverItsNumberOfSubscriptions() async throws {
            try await withProcessManager { pm in
                let sink = try await pm.spawn(EventSink.self)
                try await sink.subscribe(bufferSize: 1000, overflow: "dropOldest")
                try await sink.subscribeAgain()
                for sequence in 0..<50 { try await pm.eventBus.emit(MeshTick(publisher: "parent", sequence: sequence)) }
                #expect(try await sink.take(50).map(\.sequence) == Array(0..<50))
                #expect(try await sink.takeFromSecond(50).map(\.sequence) == Array(0..<50))
                // Both subscriptions saw every event; the manager queued (and sent) each once.
                #expect(pm.directory.broker.queuedTotal(for: sink.id.process) == 50)
            }
        }

        @Test(arguments: ["dropOldest", "dropNewest"])
        func aFullBufferDropsAsItsPolicySaysAndCountsTheDrops(_ policy: String) async throws {
            try await withProcessManager { pm in
                let sink = try await pm.spawn(EventSink.self)
                try await sink.subscribe(bufferSize: 8, overflow: policy)
                let source = try await pm.spawn(EventSource.self)
                try await source.publish(100, tag: "p")
                let kept = try await sink.takeBufferedAfterMarker()
                #expect(kept.map(\.sequence) == (policy == "dropOldest" ? Array(92..<100) : Array(0..<8)))
                #expect(try await sink.dropped() == 92)
            }
        }

        @Test func aSlowSubscriberSlowsThePublisherAndLosesNothing() async throws {
            try await withProcessManager { pm in
                let sink = try await pm.spawn(EventSink.self)
                try await sink.subscribe(bufferSize: 8, overflow: "slowPublisher")
                let source = try await pm.spawn(EventSource.self)
                // Far more than every buffer on the way holds: the publisher must wait for the
                // subscriber, so the call cannot complete while nobody reads.
                let error = await #expect(throws: ProcessError.self) {
                    try await ProcessActorSystem.withCallTimeout(.seconds(1)) { try await source.publish(5_000, tag: "p") }
                }
                #expect(error?.code == .timedOut)
                let emitted = try await source.emittedCount()
                #expect(emitted > 0 && emitted < 5_000)
                let ticks = try await sink.take(emitted)
                #expect(ticks.map(\.sequence) == Array(0..<emitted))
                #expect(try await sink.dropped() == 0)
            }
        }

        @Test func aSubscriptionLetGoOfEndsAndTheManagerStopsQueueingForIt() async throws {
            try await withProcessManager { pm in
                let type = String(reflecting: MeshTick.self)
                do {
                    let subscription = try await pm.eventBus.subscribe(to: MeshTick.self)
                    #expect(pm.directory.broker.subscribedTypes.contains(type))
                    try await pm.eventBus.emit(MeshTick(publisher: "parent", sequence: 0))
                    var iterator = subscription.makeAsyncIterator()
                    #expect(await iterator.next() == MeshTick(publisher: "parent", sequence: 0))
                }
                // Nothing holds the subscription any more.
                #expect(await eventually { !pm.directory.broker.subscribedTypes.contains(type) })
            }
        }

        @Test func aShutdownEndsTheManagersSubscriptionsAndItsWaitingDiscoveries() async throws {
            let pm = ProcessManager()
            _ = try await pm.spawn(EventSource.self)
            let subscription = try await pm.eventBus.subscribe(to: MeshTick.self)
            let waiting = Task { try await pm.discover(MeshGreeter.self, timeout: nil) }
            await pm.shutdown()
            var iterator = subscription.makeAsyncIterator()
            #expect(await iterator.next() == nil)
            await #expect(throws: ProcessError.shuttingDown) { _ = try await waiting.value }
        }

        @Test func aProcessWithoutAManagerGetsATypedError() async throws {
            let system = ProcessActorSystem(processID: ProcessID("alone"))
            let error = await #expect(throws: DiscoveryError.self) {
                try await system.eventBus.emit(MeshTick(publisher: "x", sequence: 0))
            }
            #expect(error?.code == .noManager)
        }
    }
}
