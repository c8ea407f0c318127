import TitanActorSystem
import TitanCore
import TitanPolicies
import TitanProcess

extension ProcessManager {
    /// Circuit breaker state changes and health check results of every process, from the
    /// moment of the access. Each access returns a new, independent stream; all end when
    /// ``shutdown(timeout:)`` completes.
    public var policyEvents: AsyncStream<PolicyEvent> {
        policyBroadcast.subscribe()
    }

    /// The manifest of the service process `id` runs: its methods with their signatures and
    /// the policies in force. For a service spawned by type it is the one its
    /// `@ServiceContract` generated; otherwise the process is asked (and its answer kept).
    /// Nil for a service without a contract.
    ///
    /// Throws ``/TitanCore/ProcessError/Code/unknownProcess`` for an id this manager does not have, and
    /// what asking a process that is not running throws.
    public func manifest(of id: ProcessID) async throws -> ServiceManifest? {
        try await requireEntry(id).contractManifest()
    }

    /// The hits, misses, evictions and expirations of each `@Cache` method of process `id`,
    /// by method key, as counted in the process that caches.
    public func cacheStatistics(of id: ProcessID) async throws -> [String: CacheStatistics] {
        try await requireEntry(id).cacheStatistics()
    }

    /// The child process `id`, if it is one of this manager's.
    func managedProcess(_ id: ProcessID) -> ManagedProcess? {
        try? requireEntry(id) as? ManagedProcess
    }

    /// The caller's side of `contract`'s policies for calls to `id`.
    func callerPolicies(for id: ProcessID, _ contract: ContractSetup, breakers: Bool) -> CallerPolicies? {
        guard contract.hasCallerPolicies else { return nil }
        return CallerPolicies(process: id, policies: contract.policies, breakers: breakers, clock: actorSystem.clock) { [policyBroadcast] in
            policyBroadcast.emit($0)
        }
    }

    /// For a process that may host another build of its service: compares its interface hash
    /// with the caller's and stops it if they differ.
    ///
    /// Throws ``/TitanPolicies/ContractError`` naming the methods that differ.
    func verifyContract(of process: ManagedProcess, _ contract: ContractSetup) async throws {
        guard contract.checksContract, let expected = contract.manifest else { return }
        let timeout = process.options.startTimeout
        let reported = try await process.fetchManifest(timeout: timeout)
        guard let reported, reported.interfaceHash == expected.interfaceHash else {
            await process.stop(grace: process.options.stopTimeout)
            guard let reported else {
                throw ContractError(code: .contractUnavailable, service: expected.service, expected: expected.interfaceHash, found: nil, differingMethods: [])
            }
            throw ContractError.mismatch(expected: expected, found: reported)
        }
        // The process's manifest carries the policies in force there.
        process.manifest = reported
    }
}
