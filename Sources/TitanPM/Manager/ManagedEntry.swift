import FoundationEssentials
import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// What the manager can do with any of its processes, whatever the isolation.
protocol ManagedEntry: Sendable {
    var id: ProcessID { get }
    var info: ProcessInfo { get }
    func stop(grace: Duration) async
    func kill(_ signal: Signal) throws
    func restart() async throws
    func health() async throws -> HealthStatus
}

extension ManagedProcess: ManagedEntry {}

/// A service spawned with ``SpawnOptions/Isolation/inProcess``: a local actor behind the
/// same API, for tests and mocks. It cannot be killed or restarted.
final class InProcessService: ManagedEntry {
    let id: ProcessID
    private let name: String
    private let version: String
    private let service: any ProcessService
    private let healthCheck: @Sendable () async -> HealthStatus
    private let shutdownHook: @Sendable () async -> Void
    private let events: EventHub
    private let state: Mutex<(status: ProcessStatus, startTime: Date)>

    init<S: ProcessService>(id: ProcessID, name: String, version: String, service: S, events: EventHub) {
        self.id = id
        self.name = name
        self.version = version
        self.service = service
        self.events = events
        healthCheck = { await service.whenLocal { await $0.health() } ?? .healthy }
        shutdownHook = { await service.whenLocal { await $0.shutdown() } }
        state = Mutex((.running, Date()))
        emit(.starting)
        emit(.running)
    }

    private func emit(_ status: ProcessStatus) {
        events.emit(ProcessEvent(process: id, name: name, status: status, pid: getpid(), exitStatus: nil, restarts: 0, reason: nil, time: Date()))
    }

    var info: ProcessInfo {
        let (status, startTime) = state.withLock { $0 }
        return ProcessInfo(
            id: id, pid: getpid(), name: name, version: version, status: status, startTime: startTime,
            restarts: 0, residentMemory: nil, lastExit: nil, isolation: .inProcess
        )
    }

    func stop(grace: Duration) async {
        let running = state.withLock { state -> Bool in
            guard state.status == .running else { return false }
            state.status = .stopping
            return true
        }
        guard running else { return }
        emit(.stopping)
        await shutdownHook()
        state.withLock { $0.status = .stopped }
        emit(.stopped)
    }

    func kill(_ signal: Signal) throws {
        throw ProcessError.unsupported("\(id) runs in this process; it cannot be sent \(signal)")
    }

    func restart() async throws {
        throw ProcessError.unsupported("\(id) runs in this process; it cannot be restarted")
    }

    func health() async throws -> HealthStatus {
        await healthCheck()
    }
}
