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
    /// Per-process memory, CPU and open-file limits, on real children.
    @Suite struct ResourceLimitsTests {
        @Test func aChildOverItsMemoryLimitIsRestartedAndTheLimitIsTheReason() async throws {
            try await withProcessManager { pm in
                let options = SpawnOptions(
                    restartPolicy: .onFailure(backoff: .none),
                    limits: ResourceLimits(memory: 128 << 20, memoryCheckInterval: .milliseconds(20))
                )
                let hog = try await pm.spawn(ResourceHog.self, options: options)
                let recorder = EventRecorder(pm)
                let first = try await hog.pid()
                // Grows well past the limit, slowly enough for the sampler to catch it.
                do {
                    _ = try await hog.allocate(megabytes: 1024, pauseMicroseconds: 2000)
                    Issue.record("the allocation finished: the limit was not enforced")
                } catch let error as ProcessError {
                    #expect(error.code == .processExited)
                    #expect(error.termination == .signaled(.kill))
                    #expect(error.message.contains("memory limit exceeded"), "\(error)")
                }
                let crashed = try await recorder.first("crashed") { $0.status == .crashed }
                #expect(crashed.reason?.contains("memory limit exceeded") == true, "\(crashed)")
                try await pm.awaitRecovery(of: hog.id.process)
                #expect(try await hog.pid() != first)
                // The new incarnation starts small and works within the limit.
                #expect(try await hog.allocate(megabytes: 16) == 16)
            }
        }

        @Test func aChildOverItsCPUTimeIsEndedAndTheLimitIsTheReason() async throws {
            try await withProcessManager { pm in
                let hog = try await pm.spawn(ResourceHog.self, options: SpawnOptions(limits: ResourceLimits(cpuTime: .seconds(1))))
                let recorder = EventRecorder(pm)
                do {
                    _ = try await hog.burn(milliseconds: 30_000)
                    Issue.record("burned 30 s of CPU under a 1 s limit")
                } catch let error as ProcessError {
                    #expect(error.code == .processExited)
                    #expect(error.termination == .signaled(Signal(rawValue: SIGXCPU)))
                }
                let crashed = try await recorder.first("crashed") { $0.status == .crashed }
                #expect(crashed.reason == "CPU time limit exceeded (1.0 seconds)")
            }
        }

        @Test func aChildCannotOpenMoreFilesThanItsLimit() async throws {
            try await withProcessManager { pm in
                let limited = try await pm.spawn(ResourceHog.self, options: SpawnOptions(limits: ResourceLimits(openFiles: 64)))
                let free = try await pm.spawn(ResourceHog.self)
                let capped = try await limited.openFiles(limit: 1000)
                #expect(capped[0] < 64 && capped[1] == EMFILE, "\(capped)")
                let uncapped = try await free.openFiles(limit: 1000)
                #expect(uncapped == [1000, 0])
                // Running into the limit is the child's error to handle, not a crash.
                #expect(try await limited.pid() > 0)
            }
        }
    }
}
