import FoundationEssentials
import Synchronization
import TitanAdminAPI
import TitanPM

/// Every event an operator may want to see, in one numbered sequence: process status changes,
/// pool and supervisor events, and the endpoint's own record of actions. Keeps the most recent
/// ones for clients that connect later.
///
/// Pools and supervisors started after the journal are found when their first process starts
/// (every pool and supervisor starts processes, and each start is a process event).
final class EventJournal: Sendable {
    private struct State {
        var next = 1
        var recent: [AdminEvent] = []
        var watched: Set<ProcessID> = []
        var tasks: [Task<Void, Never>] = []
        var stopped = false
    }

    private let manager: ProcessManager
    private let history: Int
    private let broadcast = Broadcast<AdminEvent>()
    private let state = Mutex(State())

    init(manager: ProcessManager, history: Int) {
        self.manager = manager
        self.history = history
    }

    /// Starts following the manager's processes, pools and supervisors.
    func start() {
        let processEvents = manager.events
        watch(Task { [weak self] in
            await self?.watchGroups()
            for await event in processEvents {
                guard let self else { return }
                self.record(
                    source: "process", subject: event.process.rawValue, kind: event.status.rawValue,
                    pid: event.pid, detail: Self.detail(of: event), time: event.time
                )
                await self.watchGroups()
            }
            // The manager has shut down: nothing more will happen, so live streams end.
            guard let self else { return }
            self.record(source: "admin", subject: self.manager.actorSystem.processID.rawValue, kind: "shutDown", detail: "the manager shut down")
            self.broadcast.finish()
        })
    }

    /// Stops following and ends every subscriber's stream.
    func stop() {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.stopped = true
            defer { state.tasks = [] }
            return state.tasks
        }
        for task in tasks { task.cancel() }
        broadcast.finish()
    }

    /// Adds an event; subscribers see it at once.
    func record(source: String, subject: String, kind: String, pid: Int32? = nil, detail: String? = nil, time: Date = Date()) {
        let event = state.withLock { state -> AdminEvent in
            defer { state.next += 1 }
            let event = AdminEvent(
                sequence: state.next, time: time.timeIntervalSince1970, source: source, subject: subject,
                kind: kind, pid: pid, detail: detail
            )
            state.recent.append(event)
            if state.recent.count > history { state.recent.removeFirst(state.recent.count - history) }
            return event
        }
        broadcast.emit(event)
    }

    /// The last `count` events, oldest first, then every new one: none is lost or repeated
    /// between the two.
    func events(last count: Int, follow: Bool) -> AsyncStream<AdminEvent> {
        let live = follow ? broadcast.subscribe() : nil
        let past = state.withLock { Array($0.recent.suffix(max(0, count))) }
        return AsyncStream { continuation in
            let task = Task {
                for event in past { continuation.yield(event) }
                if let live {
                    let seen = past.last?.sequence ?? 0
                    for await event in live where event.sequence > seen {
                        continuation.yield(event)
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func watch(_ task: Task<Void, Never>) {
        let stopped = state.withLock { state -> Bool in
            if !state.stopped { state.tasks.append(task) }
            return state.stopped
        }
        if stopped { task.cancel() }
    }

    /// Subscribes to pools and supervisors not yet followed.
    private func watchGroups() async {
        for pool in manager.pools where claim(pool.id) {
            let events = pool.events
            let id = pool.id.rawValue
            watch(Task { [weak self] in
                for await event in events {
                    self?.record(
                        source: "pool", subject: id, kind: event.kind.rawValue, pid: nil,
                        detail: Self.detail(of: event), time: event.time
                    )
                }
            })
        }
        for supervisor in await AdminTarget.allSupervisors(of: manager) where claim(supervisor.id) {
            let events = supervisor.events
            watch(Task { [weak self] in
                for await event in events {
                    let (subject, kind, detail) = Self.describe(event)
                    self?.record(source: "supervisor", subject: subject, kind: kind, detail: detail)
                }
            })
        }
    }

    private func claim(_ id: ProcessID) -> Bool {
        state.withLock { $0.watched.insert(id).inserted }
    }

    private static func detail(of event: ProcessEvent) -> String? {
        var parts: [String] = []
        if let exit = event.exitStatus { parts.append("\(exit)") }
        if event.restarts > 0 { parts.append("restarts=\(event.restarts)") }
        if let reason = event.reason { parts.append(reason) }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    private static func detail(of event: PoolEvent) -> String? {
        var parts: [String] = []
        if let worker = event.worker { parts.append("worker \(worker)") }
        if let size = event.size { parts.append("size \(size)") }
        if let reason = event.reason { parts.append(reason) }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    private static func describe(_ event: SupervisorEvent) -> (subject: String, kind: String, detail: String?) {
        switch event {
        case .started(let supervisor): (supervisor, "started", nil)
        case .childTerminated(let supervisor, let child, let reason): (supervisor, "childTerminated", "\(child): \(reason)")
        case .restarted(let supervisor, let cause, let children): (supervisor, "restarted", "after \(cause): \(children.joined(separator: ", "))")
        case .childIgnored(let supervisor, let child): (supervisor, "childIgnored", child)
        case .stopped(let supervisor): (supervisor, "stopped", nil)
        case .failed(let supervisor, let error): (supervisor, "failed", "\(error)")
        }
    }
}
