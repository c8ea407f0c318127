import Synchronization
import TitanCore

/// The manager's registry: which services run, as `name@version`, and who waits for one.
///
/// Fed synchronously by the manager's process events (a process registers when it enters
/// `running` — again after each restart, with its new pid — and unregisters when it leaves
/// it) and by pools as they start and end. Waiting discoveries are resumed by the
/// registration that satisfies them.
final class ServiceRegistry: Sendable {
    private struct Declared {
        var name: String
        var version: SemanticVersion
        var kind: ServiceRegistration.Kind
        var serviceType: String?
        /// Pool workers are reached through their pool: not listed on their own.
        var listed: Bool
        var reachableByChildren: Bool
        var status: ProcessStatus = .starting
    }

    private struct Query {
        var name: String?
        var range: VersionRange
        /// A reconnection waits for this one process.
        var process: ProcessID?

        func matches(_ registration: ServiceRegistration) -> Bool {
            if let process { return registration.process == process }
            return registration.name == name && range.contains(registration.version)
        }
    }

    private struct State {
        var declared: [ProcessID: Declared] = [:]
        var live: [ProcessID: ServiceRegistration] = [:]
        /// Registration order, for a stable choice between equal versions.
        var order: [ProcessID] = []
        var queries: [UInt64: Query] = [:]
        var nextQuery: UInt64 = 0
    }

    private let state = Mutex(State())
    private let waiters: WaiterTable<ServiceRegistration>
    private let clock: any RuntimeClock
    let changes = Broadcast<RegistryChange>()

    init(clock: any RuntimeClock) {
        self.clock = clock
        waiters = WaiterTable(clock: clock)
    }

    /// Reads a registered version leniently: `1.2` is 1.2.0, text that is no version is 0.0.0.
    static func version(_ text: String) -> SemanticVersion {
        if let version = SemanticVersion(text) { return version }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count < 3, let version = SemanticVersion(text + String(repeating: ".0", count: 3 - parts.count)) { return version }
        return SemanticVersion(0, 0, 0)
    }

    /// Makes `id` known before it starts, so its events can register it.
    func declare(
        _ id: ProcessID, name: String, version: String, kind: ServiceRegistration.Kind = .process, serviceType: String?,
        listed: Bool, reachableByChildren: Bool
    ) {
        state.withLock {
            $0.declared[id] = Declared(
                name: name, version: Self.version(version), kind: kind, serviceType: serviceType,
                listed: listed, reachableByChildren: reachableByChildren
            )
        }
    }

    /// Drops `id` for good (a failed spawn, a forgotten process).
    func forget(_ id: ProcessID) {
        unregister(id)
        state.withLock { _ = $0.declared.removeValue(forKey: id) }
        failWaiting(for: id, status: .stopped)
    }

    /// A process's status changed: register it when it runs, unregister it otherwise.
    func observe(_ event: ProcessEvent) {
        let running = event.status == .running
        let registration = state.withLock { state -> ServiceRegistration? in
            guard var declared = state.declared[event.process] else { return nil }
            declared.status = event.status
            state.declared[event.process] = declared
            guard running, declared.listed else { return nil }
            return ServiceRegistration(
                name: declared.name, version: declared.version, process: event.process, kind: declared.kind,
                pid: event.pid, serviceType: declared.serviceType, reachableByChildren: declared.reachableByChildren
            )
        }
        if let registration {
            register(registration)
        } else if !running {
            unregister(event.process)
            // A process gone for good fails the reconnections waiting for it.
            if event.status == .failed || event.status == .stopped { failWaiting(for: event.process, status: event.status) }
        }
    }

    /// Registers a pool (kind ``ServiceRegistration/Kind/pool``) as `name@version`.
    func registerPool(_ id: ProcessID, name: String, version: String, serviceType: String?, reachableByChildren: Bool) {
        declare(id, name: name, version: version, kind: .pool, serviceType: serviceType, listed: true, reachableByChildren: reachableByChildren)
        register(ServiceRegistration(
            name: name, version: Self.version(version), process: id, kind: .pool, pid: nil, serviceType: serviceType,
            reachableByChildren: reachableByChildren
        ))
    }

    private func register(_ registration: ServiceRegistration) {
        let satisfied = state.withLock { state -> [UInt64] in
            if state.live.updateValue(registration, forKey: registration.process) == nil { state.order.append(registration.process) }
            let keys = state.queries.filter { $0.value.matches(registration) }.map(\.key)
            for key in keys { state.queries[key] = nil }
            return keys
        }
        changes.emit(RegistryChange(kind: .registered, registration: registration))
        for key in satisfied { waiters.resume(key, with: .success(registration)) }
    }

    /// Unregisters `id` if it is registered.
    func unregister(_ id: ProcessID) {
        let removed = state.withLock { state -> ServiceRegistration? in
            guard let removed = state.live.removeValue(forKey: id) else { return nil }
            state.order.removeAll { $0 == id }
            return removed
        }
        if let removed { changes.emit(RegistryChange(kind: .unregistered, registration: removed)) }
    }

    private func failWaiting(for id: ProcessID, status: ProcessStatus) {
        let keys = state.withLock { state -> [UInt64] in
            let keys = state.queries.filter { $0.value.process == id }.map(\.key)
            for key in keys { state.queries[key] = nil }
            return keys
        }
        for key in keys { waiters.resume(key, with: .failure(ProcessError.notRunning(id, status))) }
    }

    /// Fails the discoveries waiting now, and every later one, with
    /// ``/TitanCore/ProcessError/Code/shuttingDown``.
    func close() {
        waiters.close(with: ProcessError.shuttingDown)
    }

    /// Everything registered now, in registration order.
    var registrations: [ServiceRegistration] {
        state.withLock { state in state.order.compactMap { state.live[$0] } }
    }

    /// The registration of `id`, if it runs.
    func registration(of id: ProcessID) -> ServiceRegistration? {
        state.withLock { $0.live[id] }
    }

    /// The best running match: the highest version in `range`, the earliest registered of equals.
    func find(_ name: String, in range: VersionRange) -> ServiceRegistration? {
        state.withLock { Self.best(in: $0, Query(name: name, range: range)) }
    }

    private static func best(in state: State, _ query: Query) -> ServiceRegistration? {
        var best: ServiceRegistration?
        for id in state.order {
            guard let candidate = state.live[id], query.matches(candidate) else { continue }
            if best.map({ candidate.version > $0.version }) ?? true { best = candidate }
        }
        return best
    }

    /// The best match for `name` in `range`, waiting up to `timeout` (nil: without bound) for
    /// one to register. Throws ``DiscoveryError/Code/notFound`` when none does in time.
    func discover(_ name: String, in range: VersionRange, timeout: Duration?) async throws -> ServiceRegistration {
        try await wait(Query(name: name, range: range), timeout: timeout) {
            DiscoveryError(.notFound, "no running \(name)@\(range)" + (timeout.map { " within \($0)" } ?? ""), members: [name])
        }
    }

    /// Process `id`'s registration, waiting up to `timeout` while it starts or restarts.
    /// Throws ``/TitanCore/ProcessError/Code/unknownProcess`` for a process never declared,
    /// ``/TitanCore/ProcessError/Code/notRunning`` for one stopped or failed for good, and
    /// ``/TitanCore/ProcessError/Code/timedOut`` when it does not run again in time.
    func running(_ id: ProcessID, timeout: Duration?) async throws -> ServiceRegistration {
        let status = state.withLock { $0.declared[id]?.status }
        guard let status else { throw ProcessError.unknownProcess(id) }
        if status == .failed || status == .stopped { throw ProcessError.notRunning(id, status) }
        return try await wait(Query(name: nil, range: .any, process: id), timeout: timeout) {
            ProcessError.timedOut(after: timeout ?? .zero)
        }
    }

    private func wait(_ query: Query, timeout: Duration?, onTimeout: @escaping @Sendable () -> any Error) async throws -> ServiceRegistration {
        let key = state.withLock { state -> UInt64 in
            defer { state.nextQuery += 1 }
            return state.nextQuery
        }
        return try await waiters.wait(
            for: key,
            deadline: timeout.map { clock.deadline(after: $0) },
            onDeadline: { .failure(onTimeout()) },
            onAbandon: { [self] key in _ = state.withLock { $0.queries.removeValue(forKey: key) } },
            immediate: {
                state.withLock { state in
                    if let found = Self.best(in: state, query) { return .success(found) }
                    state.queries[key] = query
                    return nil
                }
            }
        )
    }
}
