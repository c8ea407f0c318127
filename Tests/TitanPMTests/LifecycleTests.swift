import Glibc
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
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
    /// Stopping, shutting down, and leaving nothing behind.
    @Suite struct Lifecycle {
        @Test func gracefulShutdownRunsTheServiceHook() async throws {
            let marker = "/tmp/titan-shutdown-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            defer { unlink(marker) }
            let pm = ProcessManager()
            let recorder = EventRecorder(pm)
            let store = try await pm.spawn(KeyValueStore.self, configuration: StoreConfiguration(label: "s", shutdownMarker: marker))
            try await store.set("a", "1")
            try await store.set("b", "2")
            await pm.shutdown(timeout: .seconds(5))
            #expect(readFile(marker) == "shutdown hook ran with 2 values\n")
            let stopped = try await recorder.first("stopped") { $0.status == .stopped }
            #expect(stopped.exitStatus == .exited(code: 0))
            #expect(recorder.events.map(\.status).suffix(2) == [.stopping, .stopped])
        }

        @Test func stopRefusesLaterCalls() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let pid = try await calc.pid()
                try await pm.stop(calc.id.process)
                #expect(!isAlive(pid))
                #expect(pm.process(id: calc.id.process)?.status == .stopped)
                #expect(pm.process(id: calc.id.process)?.lastExit == .exited(code: 0))
                await #expect(throws: ProcessError.notRunning(calc.id.process, .stopped, lastExit: .exited(code: 0))) { try await calc.add(1, 1) }
            }
        }

        @Test func killLadderEndsWithSIGKILLForAnUnresponsiveChild() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let pid = try await calc.pid()
                // A stopped process answers nothing and takes no SIGTERM; only SIGKILL works.
                try pm.kill(calc.id.process, signal: .stop)
                let started = ContinuousClock.now
                try await pm.stop(calc.id.process, timeout: .milliseconds(200))
                #expect(ContinuousClock.now - started < .seconds(5))
                #expect(!isAlive(pid))
                #expect(pm.process(id: calc.id.process)?.lastExit == .signaled(.kill))
            }
        }

        @Test func shutdownStopsEveryChildAndLeavesNoSocket() async throws {
            let pm = ProcessManager()
            let a = try await pm.spawn(Calculator.self)
            let b = try await pm.spawn(Calculator.self)
            let c = try await pm.spawn(KeyValueStore.self, configuration: StoreConfiguration(label: "c"))
            let pids = [try await a.pid(), try await b.pid(), try await c.pid()]
            let prefix = try #require(pm.socketDirectoryPath)
            // One listener per child, and the manager's mesh endpoint.
            #expect(Set(abstractSockets(withPrefix: prefix)).count == 4)
            #expect(abstractSockets(withPrefix: prefix).contains("\(prefix)/mesh"))
            await pm.shutdown(timeout: .seconds(5))
            #expect(pids.allSatisfy { !isAlive($0) })
            #expect(pm.processes.allSatisfy { $0.status == .stopped })
            #expect(await eventually { abstractSockets(withPrefix: prefix).isEmpty })
            await #expect(throws: ProcessError.shuttingDown) { _ = try await pm.spawn(Calculator.self) }
        }

        @Test func fiftySpawnKillCyclesLeaveNoDescriptorsOrProcesses() async throws {
            // Warm up once so lazily started runtime threads and their descriptors exist.
            try await withProcessManager { pm in _ = try await pm.spawn(Calculator.self).add(1, 1) }
            let baselineFDs = ProcFS.openDescriptorCount()
            let baselineChildren = ProcFS.childPIDs(of: getpid())
            try await withProcessManager { pm in
                let recorder = EventRecorder(pm)
                for cycle in 0..<50 {
                    let calc = try await pm.spawn(Calculator.self)
                    #expect(try await calc.add(cycle, 1) == cycle + 1)
                    try pm.kill(calc.id.process, signal: .kill)
                    let id = calc.id.process
                    _ = try await recorder.first("end of cycle \(cycle)") { $0.process == id && $0.status == .failed }
                }
                #expect(pm.processes.count == 50)
                #expect(pm.processes.allSatisfy { $0.pid == nil && $0.status == .failed })
            }
            #expect(await eventually { ProcFS.childPIDs(of: getpid()) == baselineChildren })
            #expect(await eventually { ProcFS.openDescriptorCount() <= baselineFDs }, "a leak adds descriptors (other suites running meanwhile may close some): \(ProcFS.openDescriptorCount()) now, \(baselineFDs) before")
        }

        @Test func restartsAndShutdownLeaveNoDescriptorsOrProcesses() async throws {
            try await withProcessManager { pm in _ = try await pm.spawn(Calculator.self).add(1, 1) }
            let baselineFDs = ProcFS.openDescriptorCount()
            let baselineChildren = ProcFS.childPIDs(of: getpid())
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(restartPolicy: .always(maxRestarts: 100, backoff: .none)))
                for cycle in 1...10 {
                    try await pm.restart(calc.id.process)
                    #expect(try await calc.add(cycle, 0) == cycle)
                }
                #expect(pm.process(id: calc.id.process)?.restarts == 10)
            }
            #expect(await eventually { ProcFS.childPIDs(of: getpid()) == baselineChildren })
            #expect(await eventually { ProcFS.openDescriptorCount() <= baselineFDs }, "a leak adds descriptors (other suites running meanwhile may close some): \(ProcFS.openDescriptorCount()) now, \(baselineFDs) before")
        }

        @Test func childrenDieWithTheirParentEvenOnSIGKILL() async throws {
            // The parent here is titan-test-host, which spawns children by re-executing itself.
            let parent = try await HostParent.start(["parent", "3"])
            defer { close(parent.output) }
            #expect(parent.children.count == 3)
            #expect(parent.children.allSatisfy(isAlive))
            kill(parent.pid, SIGKILL)
            #expect(try await ExitWatcher.shared.waitForExit(of: parent.pid, timeout: .seconds(5)) == .signaled(.kill))
            let started = ContinuousClock.now
            #expect(await eventually(.seconds(2)) { parent.children.allSatisfy { !isAlive($0) } })
            #expect(ContinuousClock.now - started < .seconds(2))
        }
    }
}

func readFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

func directoryEntries(_ path: String) -> [String] {
    (ProcFS.entries(of: path) ?? []).sorted()
}

extension TitanPMTests.Lifecycle {
    @Test func gracefulShutdownOfAServiceGroupStopsTheChildren() async throws {
        let pm = ProcessManager()
        let calc = try await pm.spawn(Calculator.self)
        let pid = try await calc.pid()
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pm.run() }
                #expect(try await calc.add(1, 2) == 3)
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        #expect(!isAlive(pid))
        #expect(pm.process(id: calc.id.process)?.status == .stopped)
    }
}
