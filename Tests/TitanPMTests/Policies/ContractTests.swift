import Distributed
import Testing
@testable import TitanPM
import TitanPMMacros
import TitanPMTestKit
import TitanTestServices

/// Another build of `Ledger` (same name, so the test host hosts its own `Ledger` for it):
/// `add` takes other types, `describe(_:)` for strings is gone, `audit()` is new.
@ServiceContract
distributed actor LedgerV2: ProcessService {
    static let name = "ledger"

    distributed func add(_ a: Double, _ b: Double) -> Double { a + b }
    distributed func dispatchedIndex() -> Int? { nil }
    distributed func describe(_ value: Int) -> String { "\(value)" }
    distributed func echo<Value: Codable & Sendable>(_ value: Value) -> [Value] { [value] }
    distributed func count(upTo n: Int) -> RemoteStream<Int> { RemoteStream(elements: []) }
    distributed func divide(_ a: Int, by b: Int) throws -> Int { a / b }
    distributed func audit() -> [String] { [] }
}

/// A caller's view of the greeter service that does not match what it hosts.
@Resolvable
@ServiceContract
protocol PoliteGreeting: DistributedActor, ServiceInterface where ActorSystem == ProcessActorSystem {
    distributed func greet(_ name: String, politely: Bool) -> String
}

extension TitanPMTests {
    /// `@ServiceContract` services over real processes: table dispatch, the manifest a
    /// manager can show, and the contract check when the process may run another build.
    @Suite struct Contracts {
        @Test func contractedCallsRunThroughTheDispatchTableAndOthersFallBack() async throws {
            try await withProcessManager { pm in
                let ledger = try await pm.spawn(Ledger.self)
                #expect(try await ledger.add(2, 3) == 5)
                // The child ran the call from the table, at the method's manifest index.
                #expect(try await ledger.dispatchedIndex() == Ledger.manifest.index(ofKey: "dispatchedIndex()"))
                // Overloads with the same labels find their own entries by type.
                #expect(try await ledger.describe(7) == "int 7")
                #expect(try await ledger.describe("x") == "string x")
                // A generic method has no entry: executeDistributedTarget runs it.
                #expect(try await ledger.echo("a") == ["a", "a"])
                var received: [Int] = []
                for try await n in try await ledger.count(upTo: 5) { received.append(n) }
                #expect(received == [0, 1, 2, 3, 4])
                await #expect(throws: MathError.divisionByZero(dividend: 1)) { try await ledger.divide(1, by: 0) }
            }
        }

        @Test func uncontractedServicesKeepTheRuntimesLookup() async throws {
            try await withProcessManager { pm in
                let calculator = try await pm.spawn(Calculator.self)
                #expect(try await calculator.add(2, 3) == 5)
                #expect(try await pm.manifest(of: calculator.id.process) == nil)
            }
        }

        @Test func theManagerShowsAServicesManifestAndTheProcessReportsTheSame() async throws {
            try await withProcessManager { pm in
                let lab = try await pm.spawn(PolicyLab.self, options: SpawnOptions(policies: [
                    "ping()": MethodPolicies(rateLimit: RateLimitPolicy(10, per: .seconds(1))),
                ]))
                let manifest = try #require(try await pm.manifest(of: lab.id.process))
                #expect(manifest.interfaceHash == PolicyLab.interfaceHash)
                #expect(manifest.method(forKey: "ping()")?.policies.rateLimit == RateLimitPolicy(10, per: .seconds(1)))
                #expect(manifest.method(forKey: "quota(user:)")?.policies.rateLimit?.key == "user")
                // The process itself, asked over its control connection, reports the policies in force.
                let process = try #require(pm.managedProcess(lab.id.process))
                #expect(try await process.fetchManifest(timeout: .seconds(5)) == manifest)
            }
        }

        @Test func aProcessHostingTheSameBuildPassesTheCheck() async throws {
            try await withProcessManager { pm in
                let ledger = try await pm.spawn(Ledger.self, options: SpawnOptions(executable: testHostPath))
                #expect(try await ledger.add(40, 2) == 42)
                #expect(try await ledger.dispatchedIndex() != nil)
            }
        }

        @Test func aProcessHostingAnotherInterfaceIsRefusedWithTheMethodsThatDiffer() async throws {
            try await withProcessManager { pm in
                let events = EventRecorder(pm)
                do {
                    _ = try await pm.spawn(LedgerV2.self, options: SpawnOptions(executable: testHostPath))
                    Issue.record("the spawn should fail the contract check")
                } catch let error as ContractError {
                    #expect(error.code == .interfaceMismatch)
                    #expect(error.service == "LedgerV2")
                    #expect(error.expected == LedgerV2.interfaceHash && error.found == Ledger.interfaceHash)
                    #expect(error.differingMethods == ["add(_:_:)", "audit()", "describe(_:)"])
                    #expect("\(error)".contains("add(_:_:), audit(), describe(_:)"))
                }
                // The process that failed the check was stopped, and nothing is left behind.
                try await events.first("the mismatched process stopped") { $0.status == .stopped }
                #expect(pm.processes.isEmpty)
            }
        }

        @Test func aStubOfAContractedProtocolIsCheckedWhenSpawnedByName() async throws {
            try await withProcessManager { pm in
                let greeter = try await pm.spawn(service: "greeter", as: $Greeting.self, options: SpawnOptions(executable: testHostPath))
                #expect(try await greeter.greet("titan").hasPrefix("hello titan"))
                #expect(try await pm.manifest(of: greeter.id.process)?.interfaceHash == $Greeting.interfaceHash)

                let mismatch = try await #require(throws: ContractError.self) {
                    try await pm.spawn(service: "greeter", as: $PoliteGreeting.self, options: SpawnOptions(executable: testHostPath))
                }
                #expect(mismatch.code == .interfaceMismatch)
                #expect(mismatch.differingMethods == ["greet(_:)", "greet(_:politely:)"])
            }
        }
    }
}
