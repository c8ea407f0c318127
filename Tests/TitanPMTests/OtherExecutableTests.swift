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

private func executablePath(of pid: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
    return n > 0 ? String(cString: Array(buffer[0..<n]) + [0]) : ""
}

extension TitanPMTests {
    /// Services hosted by another executable (the spec's "spawn from file").
    @Suite struct OtherExecutable {
        @Test func spawnByTypeFromAnotherExecutable() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(executable: testHostPath))
                let pid = try await calc.pid()
                #expect(executablePath(of: pid).hasSuffix("/titan-test-host"))
                #expect(try await calc.add(19, 23) == 42)
                await #expect(throws: MathError.divisionByZero(dividend: 3)) { try await calc.divide(3, by: 0) }
            }
        }

        @Test func spawnByNameThroughAResolvableProtocol() async throws {
            try await withProcessManager { pm in
                let greeter = try await pm.spawn(service: "greeter", as: $Greeting.self, options: SpawnOptions(executable: testHostPath))
                let greeting = try await greeter.greet("titan")
                #expect(greeting.hasPrefix("hello titan from pid "))
                let pid = try #require(Int32(greeting.split(separator: " ").last ?? ""))
                #expect(pid != getpid())
                #expect(executablePath(of: pid).hasSuffix("/titan-test-host"))
                #expect(pm.process(id: greeter.id.process)?.name == "greeter")
            }
        }

        @Test func unknownServiceNameFailsTheSpawnClearly() async throws {
            try await withProcessManager { pm in
                do {
                    _ = try await pm.spawn(service: "no-such-service", as: $Greeting.self, options: SpawnOptions(executable: testHostPath))
                    Issue.record("spawn should fail")
                } catch let error as ProcessError {
                    #expect(error.code == .serviceNotFound)
                    #expect(error.message.contains("no service named no-such-service"))
                }
            }
        }

        @Test func missingExecutableFailsTheSpawnClearly() async throws {
            try await withProcessManager { pm in
                await #expect(throws: ProcessError.self) {
                    _ = try await pm.spawn(Calculator.self, options: SpawnOptions(executable: "/nonexistent/titan-host"))
                }
            }
        }
    }
}
