import Distributed
import Glibc
import Synchronization
import TitanPolicies
import Testing
import TitanPMMacros
import TitanPMTestKit
import TitanTestServices
@testable import TitanPM

/// Another build of ``ReloadProbe`` (same name, so `titan-test-host` hosts its own
/// `ReloadProbe` for it): `ticks` lost a parameter, `version()` is new.
@ServiceContract
distributed actor ReloadProbeV2: ProcessService {
    static let name = "reload-probe"

    distributed func pid() -> Int32 { getpid() }
    distributed func work(_ value: Int, milliseconds: Int) async throws -> ProbeAnswer { ProbeAnswer(value: value, pid: getpid()) }
    distributed func ticks(_ count: Int) -> RemoteStream<Int32> { RemoteStream(elements: []) }
    distributed func version() -> Int { 2 }
}

/// The other executables built with the tests: `titan-test-host` hosts the same services as
/// this test binary, `greeter-host` only a greeter.
private let greeterHostPath = String(testHostPath.dropLast("titan-test-host".count)) + "greeter-host"

extension TitanPMTests {
    /// Zero-downtime reloads of real processes under load (issue #20).
    @Suite struct Reload {
        @Test func rollingReloadOfAPoolOfFourUnderSixtyFourCallsFailsNoCall() async throws {
            try await withProcessManager { pm in
                let pool = try await pm.pool(ReloadProbe.self, options: PoolOptions(size: .fixed(4), maxConcurrentCallsPerWorker: 32))
                let before = Set(pool.workers.compactMap { pm.process(id: $0)?.pid })
                #expect(before.count == 4)
                let poolEvents = EventRecorder(pool.events)
                let load = CallLoad(concurrency: 64) { try await pool.proxy.work($0, milliseconds: 20).pid }
                await load.waitForSuccesses(128)
                let reports = try await pool.reload(options: ReloadOptions(settle: .milliseconds(50)))
                await load.waitForSuccesses(load.succeededSoFar + 128)
                let outcome = await load.stop()

                #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
                #expect(reports.count == 4)
                let after = Set(pool.workers.compactMap { pm.process(id: $0)?.pid })
                #expect(after.count == 4)
                #expect(after.isDisjoint(with: before), "every worker's pid changed: \(before) → \(after)")
                #expect(Set(reports.map(\.oldPID)) == before)
                #expect(Set(reports.map(\.newPID)) == after)
                #expect(Set(outcome.pids.suffix(64)).isSubset(of: after), "calls after the reload are served by the new workers")
                try await poolEvents.count("workers reloaded", 4) { $0.kind == .workerReloaded }
                #expect(pool.stats.size == 4)
            }
        }

        @Test func reloadOfOneProcessUnderLoadFailsNoCallAndLetsAStreamOnTheOldOneEnd() async throws {
            try await withProcessManager { pm in
                let probe = try await pm.spawn(ReloadProbe.self)
                let id = probe.id.process
                let oldPID = try await probe.pid()
                let recorder = EventRecorder(pm)
                let stream = try await probe.ticks(40, every: 25)
                let streamed = Task {
                    var pids: [Int32] = []
                    for try await pid in stream { pids.append(pid) }
                    return pids
                }
                let load = CallLoad(concurrency: 16) { try await probe.work($0, milliseconds: 10).pid }
                await load.waitForSuccesses(64)

                let report = try await pm.reload(id)
                await load.waitForSuccesses(load.succeededSoFar + 64)
                let outcome = await load.stop()
                let pids = try await streamed.value

                #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
                #expect(report.oldPID == oldPID)
                #expect(report.newPID != oldPID)
                #expect(report.drained)
                #expect(pids == Array(repeating: oldPID, count: 40), "the stream opened on the old incarnation ran to its end there")
                #expect(try await probe.pid() == report.newPID, "the reference held across the reload reaches the new incarnation")
                #expect(outcome.pids.contains(oldPID) && outcome.pids.contains(report.newPID))
                let phases = try await recorder.count("reload steps", 3) { $0.process == id && $0.reload != nil }.compactMap(\.reload)
                #expect(phases == [.started, .switched, .drained])
                #expect(pm.process(id: id)?.restarts == 0, "a reload is not a restart")
                #expect(pm.process(id: id)?.pid == report.newPID)
            }
        }

        @Test func aNewExecutableThatCrashesAtStartIsRolledBack() async throws {
            try await expectRollback(
                ReloadOptions(executable: testHostPath, environment: ["TITAN_RELOAD_PROBE_CRASH_AT_START": "1"]),
                code: .startFailed
            )
        }

        @Test func aNewExecutableThatCrashesWithinTheSettlePeriodIsRolledBack() async throws {
            try await expectRollback(
                ReloadOptions(executable: testHostPath, environment: ["TITAN_RELOAD_PROBE_EXIT_AFTER_MS": "300"], settle: .seconds(3)),
                code: .crashedWhileSettling
            )
        }

        @Test func aNewExecutableThatReportsUnhealthyIsRolledBack() async throws {
            try await expectRollback(
                ReloadOptions(executable: testHostPath, environment: ["TITAN_RELOAD_PROBE_HEALTH": "unhealthy"]),
                code: .unhealthy
            )
        }

        @Test func aNewExecutableHostingAnotherServiceIsRefused() async throws {
            // The process is named "greeter"; `greeter-host` has no ReloadProbe and hosts its
            // own Greeter under that name: a build whose service changed under the same name.
            let error = try await expectRollback(
                ReloadOptions(executable: greeterHostPath),
                code: .interfaceMismatch,
                spawn: { pm in try await pm.spawn(ReloadProbe.self, options: SpawnOptions(name: "greeter")).id.process },
                serving: { pm, id in try await ReloadProbe.resolve(id: ProcessActorID(process: id, instance: 0), using: pm.actorSystem).pid() }
            )
            #expect(error?.message.contains("hosts service 'greeter', the old one 'reload-probe'") == true, "\(String(describing: error))")
        }

        @Test func aNewBuildWithAnotherInterfaceIsRefusedNamingTheMethodsThatDiffer() async throws {
            // ReloadProbeV2 runs in this test binary; `titan-test-host` has no ReloadProbeV2 and
            // hosts its own "reload-probe", whose interface hash differs.
            let error = try await expectRollback(
                ReloadOptions(executable: testHostPath),
                code: .interfaceMismatch,
                spawn: { pm in try await pm.spawn(ReloadProbeV2.self).id.process },
                serving: { pm, id in try await ReloadProbeV2.resolve(id: ProcessActorID(process: id, instance: 0), using: pm.actorSystem).pid() }
            )
            #expect(error?.differingMethods == ["ticks(_:)", "ticks(_:every:)", "version()"])
            #expect(error?.cause is ContractError)
        }

        @Test func aReloadToTheOtherExecutableRunsIt() async throws {
            try await withProcessManager { pm in
                let probe = try await pm.spawn(ReloadProbe.self)
                let report = try await pm.reload(probe.id.process, options: ReloadOptions(executable: testHostPath))
                #expect(try await probe.pid() == report.newPID)
                let exe = String(decoding: try #require(readLink("/proc/\(report.newPID)/exe")).utf8, as: UTF8.self)
                #expect(exe.hasSuffix("/titan-test-host"), "\(exe)")
                // A restart after the reload runs the executable the reload chose.
                try await pm.restart(probe.id.process)
                let restarted = try await probe.pid()
                #expect(String(decoding: try #require(readLink("/proc/\(restarted)/exe")).utf8, as: UTF8.self).hasSuffix("/titan-test-host"))
            }
        }

        @Test func aSupervisedChildReloadedIsNotRestarted() async throws {
            try await withProcessManager { pm in
                let root = try await pm.supervisor(strategy: .oneForOne, intensity: 1, within: .seconds(60)) {
                    Child(ReloadProbe.self)
                    Child(Calculator.self)
                }
                let supervisorEvents = EventRecorder(root.events)
                let probe = try await root.reference(ReloadProbe.self)
                let calculatorPID = try #require(await root.children.first { $0.id == Calculator.name }?.pid)
                let load = CallLoad(concurrency: 8) { try await probe.work($0, milliseconds: 10).pid }
                await load.waitForSuccesses(16)
                // Twice: more than the supervisor's intensity allows for restarts.
                let first = try await pm.reload(probe.id.process)
                let second = try await pm.reload(probe.id.process)
                let outcome = await load.stop()
                #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
                let children = await root.children
                let child = try #require(children.first { $0.id == ReloadProbe.name })
                #expect(child.pid == second.newPID && first.newPID == second.oldPID)
                #expect(child.restarts == 0)
                #expect(child.status == .running)
                #expect(children.first { $0.id == Calculator.name }?.pid == calculatorPID, "its sibling was left alone")
                #expect(supervisorEvents.events.isEmpty, "\(supervisorEvents.events)")
            }
        }

        @Test func sighupReloadsWhatWasMarkedAndOnlyWhileActive() async throws {
            try await withProcessManager { pm in
                let probe = try await pm.spawn(ReloadProbe.self)
                let other = try await pm.spawn(ReloadProbe.self)
                let id = probe.id.process
                let oldPID = try await probe.pid()
                let otherPID = try await other.pid()
                let recorder = EventRecorder(pm)
                let hangup = try pm.reloadOnHangup([id])
                #expect(throws: ProcessError.self) { try pm.reloadOnHangup([id]) }
                let load = CallLoad(concurrency: 8) { try await probe.work($0, milliseconds: 10).pid }
                await load.waitForSuccesses(16)
                #expect(kill(getpid(), SIGHUP) == 0)
                let drained = try await recorder.first("reload drained") { $0.process == id && $0.reload == .drained }
                let outcome = await load.stop()
                hangup.cancel()
                #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
                #expect(drained.pid != oldPID)
                #expect(try await probe.pid() != oldPID)
                #expect(try await other.pid() == otherPID, "a process not marked reloadable is left alone")
                #expect(!recorder.events.contains { $0.process == other.id.process && $0.reload != nil })
                #expect(hangup.hangups == 1)
                // The handler before it is back: SIG_DFL would end the process, so ask, do not send.
                var action = sigaction()
                #expect(sigaction(SIGHUP, nil, &action) == 0)
                #expect(unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == 0)
            }
        }
    }
}

/// Spawns a ReloadProbe, keeps calls going, reloads with `options`, and expects a roll-back
/// with `code`: no failed call, the old pid still serving, a `rolledBack` event.
private func expectRollback(_ options: ReloadOptions, code: ReloadError.Code, spawn: SpawnOptions = SpawnOptions()) async throws {
    let probe = ProbeHandle()
    try await expectRollback(
        options, code: code,
        spawn: { pm in
            let reference = try await pm.spawn(ReloadProbe.self, options: spawn)
            probe.set(reference)
            return reference.id.process
        },
        serving: { _, _ in try await probe.get().work(0, milliseconds: 10).pid }
    )
}

/// Spawns with `spawn`, keeps 16 calls of `serving` (which returns the serving pid) in
/// flight, reloads with `options`, and expects a roll-back with `code`: no failed call, only
/// the old pid serving before and after, a `rolledBack` event with the error's message.
@discardableResult
private func expectRollback(
    _ options: ReloadOptions,
    code: ReloadError.Code,
    spawn: @escaping @Sendable (ProcessManager) async throws -> ProcessID,
    serving: @escaping @Sendable (ProcessManager, ProcessID) async throws -> Int32
) async throws -> ReloadError? {
    try await withProcessManager { pm in
        let id = try await spawn(pm)
        let oldPID = try await serving(pm, id)
        let recorder = EventRecorder(pm)
        let load = CallLoad(concurrency: 16) { _ in try await serving(pm, id) }
        await load.waitForSuccesses(32)
        let error = await #expect(throws: ReloadError.self) { try await pm.reload(id, options: options) }
        await load.waitForSuccesses(load.succeededSoFar + 32)
        let outcome = await load.stop()
        #expect(error?.code == code, "\(String(describing: error))")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
        #expect(Set(outcome.pids) == [oldPID], "only the old incarnation served")
        #expect(try await serving(pm, id) == oldPID)
        #expect(pm.process(id: id)?.status == .running)
        let rolledBack = try await recorder.first("rolled back") { $0.process == id && $0.reload == .rolledBack }
        #expect(rolledBack.reason == error?.message)
        return error
    }
}

/// The probe a roll-back test spawned, for the calls that load it.
private final class ProbeHandle: Sendable {
    private let probe = Mutex<ReloadProbe?>(nil)
    func set(_ reference: ReloadProbe) { probe.withLock { $0 = reference } }
    func get() throws -> ReloadProbe {
        guard let reference = probe.withLock({ $0 }) else { throw ProcessError.unsupported("no probe yet") }
        return reference
    }
}

private func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
