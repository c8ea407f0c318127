import FoundationEssentials
import Glibc
import Logging
import TitanAdminAPI
import TitanPM

/// Answers admin requests for one manager. The endpoint's socket server and the web dashboard
/// both hand their requests here, so both offer exactly the same operations under the same
/// rules: reads for every authenticated peer; actions only where the options allow them,
/// each logged through the manager's logger and recorded as an `admin` event.
package final class AdminController: Sendable {
    package let manager: ProcessManager
    let options: AdminOptions
    let journal: EventJournal
    let sampler: ResourceSampler
    let metrics: any ProcessMetricsSource
    let logs: any ProcessLogSource
    private let openedAt = ContinuousClock.now

    package init(
        manager: ProcessManager,
        options: AdminOptions,
        metrics: any ProcessMetricsSource = ProcFSOnlyMetrics(),
        logs: any ProcessLogSource = NoLogCapture()
    ) {
        self.manager = manager
        self.options = options
        self.metrics = metrics
        self.logs = logs
        journal = EventJournal(manager: manager, history: options.eventHistory)
        sampler = ResourceSampler(manager: manager, metrics: metrics, interval: options.sampleInterval)
    }

    /// Starts following events and sampling resources.
    package func start() {
        journal.record(source: "admin", subject: manager.actorSystem.processID.rawValue, kind: "opened", pid: getpid(), detail: "admin endpoint open")
        journal.start()
        sampler.start()
    }

    /// Stops both; event streams end.
    package func stop() {
        sampler.stop()
        journal.stop()
    }

    var logger: Logger { manager.logger }

    var uptime: Double { ResourceSampler.seconds(openedAt.duration(to: .now)) }

    /// Answers `request` from `peer`. Never throws: failures are error replies.
    package func handle(_ request: AdminRequest, from peer: AdminPeer) async -> AdminOutcome {
        if request.op.isAction, let refusal = refusal(of: request, from: peer) {
            logger.warning("admin action refused", metadata: ["op": "\(request.op)", "name": "\(request.name ?? "")", "peer": "\(peer)"])
            journal.record(source: "admin", subject: request.name ?? "-", kind: "refused", detail: "\(request.op) by \(peer): \(refusal.message)")
            return .failure(refusal, id: request.id)
        }
        do {
            return try await dispatch(request, from: peer)
        } catch let error as AdminError {
            if request.op.isAction { audit(request, peer: peer, outcome: "failed: \(error.message)") }
            return .failure(error, id: request.id)
        } catch {
            let failure = AdminError(.failed, "\(request.op) \(request.name ?? ""): \(error)")
            if request.op.isAction { audit(request, peer: peer, outcome: "failed: \(error)") }
            return .failure(failure, id: request.id)
        }
    }

    private func dispatch(_ request: AdminRequest, from peer: AdminPeer) async throws -> AdminOutcome {
        let id = request.id
        switch request.op {
        case .hello: return .success(hello(), id: id)
        case .status: return .success(await status(), id: id)
        case .pools: return .success(pools(), id: id)
        case .tree: return .success(await tree(), id: id)
        case .services: return .success(services(), id: id)
        case .service: return .success(try await service(request.name), id: id)
        case .metrics: return .success(try await metricsReport(request.name), id: id)
        case .events:
            let follow = request.follow ?? false
            return .stream(journal.events(last: request.count ?? (follow ? 0 : 50), follow: follow), id: id)
        case .logs:
            let process = try await AdminTarget.process(request.name, in: manager)
            guard logs.isAvailable else { throw AdminError(.unavailable, "this manager does not capture its processes' output") }
            return .stream(logs.lines(of: process, last: max(0, request.count ?? 20), follow: request.follow ?? false), id: id)
        default:
            guard request.op.isAction else {
                let known = AdminOperation.all.map(\.rawValue).joined(separator: ", ")
                throw AdminError(.unknownOperation, "unknown operation \(request.op); this manager knows \(known)")
            }
            logger.notice("admin action", metadata: ["op": "\(request.op)", "name": "\(request.name ?? "")", "peer": "\(peer)"])
            if request.op == .invoke {
                let report = try await invoke(request)
                audit(request, peer: peer, outcome: "\(report.method) returned in \(Int(report.seconds * 1000)) ms")
                return .success(report, id: id)
            }
            let report = try await perform(request)
            audit(request, peer: peer, outcome: report.message)
            return .success(report, id: id)
        }
    }

    /// Why `peer` may not run this action, or nil if it may.
    private func refusal(of request: AdminRequest, from peer: AdminPeer) -> AdminError? {
        if options.readOnly {
            return AdminError(.refused, "this manager's admin endpoint is read-only; \(request.op) is refused")
        }
        if let authorize = options.authorize, !authorize(peer, request) {
            return AdminError(.refused, "\(request.op) \(request.name ?? "") is not allowed for \(peer)")
        }
        return nil
    }

    private func audit(_ request: AdminRequest, peer: AdminPeer, outcome: String) {
        logger.notice("admin action done", metadata: ["op": "\(request.op)", "name": "\(request.name ?? "")", "peer": "\(peer)", "outcome": "\(outcome)"])
        journal.record(source: "admin", subject: request.name ?? "-", kind: request.op.rawValue, detail: "by \(peer): \(outcome)")
    }

    private func hello() -> ManagerReport {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let executable = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        return ManagerReport(
            manager: manager.actorSystem.processID.rawValue, pid: getpid(), executable: executable, uptime: uptime,
            readOnly: options.readOnly, logsAvailable: logs.isAvailable, metricsSource: metrics.name,
            operations: AdminOperation.all
        )
    }
}
