import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TitanAdmin
import TitanAdminAPI

/// The web dashboard of a manager: processes with live CPU, memory and calls/s, pools and
/// their workers, the supervision tree, events as they happen, a process's log, restart /
/// stop / scale buttons and the service explorer. Opened by ``TitanAdmin/AdminServer/serveDashboard(_:)``.
///
/// The page is plain HTML, CSS and JavaScript from this module's resources. It speaks the
/// admin endpoint's own protocol over HTTP: `POST /api` with one ``/TitanAdminAPI/AdminRequest``
/// returns its ``/TitanAdminAPI/AdminReply``; `GET /api/stream?request=...` streams replies as
/// server-sent events. Requests go through the same controller as the socket's, so the
/// endpoint's policy (read-only, ``/TitanAdmin/AdminOptions/authorize``) applies here too.
public final class Dashboard: Sendable {
    /// The port it listens on (the one chosen, for port 0).
    public let port: Int
    /// The address to open in a browser, with the token when one is required.
    public let url: String

    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let streams: StreamRegistry

    init(port: Int, url: String, group: ServiceGroup, task: Task<Void, any Error>, streams: StreamRegistry) {
        self.port = port
        self.url = url
        self.group = group
        self.task = task
        self.streams = streams
    }

    /// Ends every open event stream and stops the server gracefully (requests in progress finish).
    public func stop() async {
        streams.finishAll()
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// How the dashboard listens.
public struct DashboardOptions: Sendable {
    /// The address to bind: loopback by default. Any other address requires a ``token``.
    public var host: String
    /// 0 picks a free port (read it back from ``Dashboard/port``).
    public var port: Int
    /// A secret every request must carry (the page keeps the one in its URL); nil allows
    /// any local client on a loopback address.
    public var token: String?

    /// Options for the dashboard; every parameter has the default described above.
    public init(host: String = "127.0.0.1", port: Int = 8080, token: String? = nil) {
        self.host = host
        self.port = port
        self.token = token
    }

    var isLoopback: Bool {
        host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }
}

/// Serving the dashboard of an admin endpoint's manager.
extension AdminServer {
    /// Serves the web dashboard for this endpoint's manager and returns once it listens.
    ///
    /// ```swift
    /// let admin = try pm.serveAdmin()
    /// let dashboard = try await admin.serveDashboard()   // http://127.0.0.1:8080/
    /// ```
    ///
    /// - Throws: ``/TitanAdminAPI/AdminError`` with code `badRequest` for a non-loopback host
    ///   without a token, or `failed` when the port cannot be bound.
    public func serveDashboard(_ options: DashboardOptions = DashboardOptions()) async throws -> Dashboard {
        if !options.isLoopback && (options.token ?? "").isEmpty {
            throw AdminError(.badRequest, "a dashboard on \(options.host) needs a token: anyone who can reach it could stop your processes")
        }
        let site = try Site.load()
        let streams = StreamRegistry()
        let router = DashboardRoutes(controller: controller, options: options, site: site, streams: streams).router()
        let started = StartSignal()
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in started.succeed(channel.localAddress?.port ?? options.port) },
            logger: controller.manager.logger
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: controller.manager.logger))
        let task = Task {
            do {
                try await group.run()
            } catch {
                started.fail(error)
                throw error
            }
        }
        let port: Int
        do {
            port = try await started.wait()
        } catch {
            await group.triggerGracefulShutdown()
            throw AdminError(.failed, "cannot serve the dashboard on \(options.host):\(options.port): \(error)")
        }
        let host = options.host.contains(":") ? "[\(options.host)]" : options.host
        let url = "http://\(host):\(port)/" + (options.token.map { "?token=\($0)" } ?? "")
        controller.manager.logger.info("dashboard open", metadata: ["url": "\(url)"])
        return Dashboard(port: port, url: url, group: group, task: task, streams: streams)
    }
}

/// Resolved once: with the bound port, or with why the server could not start.
private final class StartSignal: Sendable {
    private let state = Mutex<(result: Result<Int, any Error>?, waiter: CheckedContinuation<Int, any Error>?)>((nil, nil))

    func succeed(_ port: Int) { resolve(.success(port)) }
    func fail(_ error: any Error) { resolve(.failure(error)) }

    private func resolve(_ result: Result<Int, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Int, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<Int, any Error>? in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// Running the dashboard in a ServiceLifecycle `ServiceGroup`.
extension Dashboard: Service {
    /// Serves until the service group shuts down gracefully (or the task is cancelled), then stops.
    public func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }
}
