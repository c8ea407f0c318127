import Testing
import TitanPMTestKit
@testable import my_server                                    // the module with your services

@Test func restartsAfterACrash() async throws {
    try await withProcessManager { pm in                       // shut down even if the test throws
        let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(restartPolicy: .onFailure()))
        try await pm.simulateCrash(of: calc.id.process)        // SIGKILL, and the crash event
        try await pm.awaitRecovery(of: calc.id.process)        // running again
        #expect(try await calc.add(2, 3) == 5)
    }
}
