import Glibc
import Prometheus
import ServiceLifecycle
import Synchronization
import TitanCore
import TitanPM

/// Serves a manager's metrics in the Prometheus text format over HTTP/1.1: `GET /metrics`
/// collects every process's metrics (``/TitanPM/ProcessManager/collectMetrics()``) and answers with the
/// registry the program's `MetricsSystem` records into.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// ProcessManager.bootstrap()                                   // children stop here
/// MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
/// let pm = ProcessManager()
/// let endpoint = try pm.serveMetrics(registry, port: 9464)     // http://127.0.0.1:9464/metrics
/// ```
///
/// Binds to loopback unless told otherwise. As a ServiceLifecycle `Service` it serves until
/// the group shuts down gracefully. The server is deliberately small: one request per
/// connection, answered on a thread of its own; anything but `GET` of the path gets 404/405.
public final class MetricsEndpoint: Service, Sendable {
    private struct State {
        var listener: Int32 = -1
        var port: Int?
        var stopped = false
    }

    private let manager: ProcessManager
    private let registry: PrometheusCollectorRegistry
    /// The address listened on.
    public let host: String
    private let requestedPort: Int
    /// The path that answers with metrics.
    public let path: String
    private let state = Mutex(State())

    /// An endpoint for `manager`'s metrics, read from `registry`, at `http://host:port/path`
    /// once started; port 0 picks a free port (see ``port``).
    public init(manager: ProcessManager, registry: PrometheusCollectorRegistry, host: String = "127.0.0.1", port: Int = 9464, path: String = "/metrics") {
        self.manager = manager
        self.registry = registry
        self.host = host
        requestedPort = port
        self.path = path
    }

    /// The port listened on, once started.
    public var port: Int? { state.withLock { $0.port } }

    /// Listens and starts answering on a thread of its own; returns the port. Throws
    /// `ProcessError.Code.startFailed` when the address cannot be bound.
    @discardableResult
    public func start() throws -> Int {
        if let port { return port }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.failure("socket") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(requestedPort).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw ProcessError.startFailed("metrics endpoint: \(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let error = Self.failure("bind \(host):\(requestedPort)")
            close(fd)
            throw error
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: actual.sin_port))
        state.withLock {
            $0.listener = fd
            $0.port = port
        }
        startDetachedThread(name: "titan-metrics") { [self] in acceptLoop(fd) }
        return port
    }

    /// Stops listening; requests being answered finish.
    public func stop() {
        let fd = state.withLock { state -> Int32 in
            state.stopped = true
            defer { state.listener = -1 }
            return state.listener
        }
        // Wakes the blocked accept, which then closes the descriptor.
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// Serves until the service group shuts down gracefully or the task is cancelled.
    public func run() async throws {
        try start()
        try? await gracefulShutdown()
        stop()
    }

    private func acceptLoop(_ fd: Int32) {
        while true {
            let connection = accept(fd, nil, nil)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                break
            }
            // Not inherited by children spawned while the request is answered.
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            startDetachedThread(name: "titan-metrics-c") { [self] in answer(connection) }
        }
        close(fd)
    }

    private func answer(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let request = HTTPRequestHead.read(from: fd) else { return }
        let response: [UInt8]
        if request.path.split(separator: "?").first.map(String.init) != path {
            response = Self.response(status: "404 Not Found", contentType: "text/plain", body: Array("not found\n".utf8))
        } else if request.method != "GET" && request.method != "HEAD" {
            response = Self.response(status: "405 Method Not Allowed", contentType: "text/plain", body: Array("GET only\n".utf8))
        } else {
            let body = collect()
            response = Self.response(
                status: "200 OK", contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: request.method == "HEAD" ? [] : body, length: body.count
            )
        }
        var offset = 0
        while offset < response.count {
            let n = response.withUnsafeBytes { send(fd, $0.baseAddress! + offset, response.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Collects every process's metrics (on this connection's own thread, which waits) and
    /// renders the registry.
    private func collect() -> [UInt8] {
        let done = Semaphore()
        let manager = self.manager
        Task {
            await manager.collectMetrics()
            done.signal()
        }
        done.wait()
        return registry.emitToBuffer()
    }

    private static func response(status: String, contentType: String, body: [UInt8], length: Int? = nil) -> [UInt8] {
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(length ?? body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + body
    }

    private static func failure(_ what: String) -> ProcessError {
        ProcessError.startFailed("metrics endpoint: \(what): \(String(cString: strerror(errno)))")
    }
}

extension ProcessManager {
    /// Starts serving this manager's metrics at `http://host:port/metrics` (loopback by
    /// default) from `registry`, the `PrometheusCollectorRegistry` the program bootstrapped
    /// `MetricsSystem` with. Stop it with ``MetricsEndpoint/stop()``, or run a
    /// ``MetricsEndpoint`` in a `ServiceGroup` instead.
    @discardableResult
    public func serveMetrics(_ registry: PrometheusCollectorRegistry, host: String = "127.0.0.1", port: Int = 9464) throws -> MetricsEndpoint {
        let endpoint = MetricsEndpoint(manager: self, registry: registry, host: host, port: port)
        try endpoint.start()
        return endpoint
    }
}
