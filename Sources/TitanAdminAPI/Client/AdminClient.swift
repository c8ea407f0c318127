import FoundationEssentials
import Glibc

/// A blocking client of a manager's admin endpoint, for command-line tools and scripts.
///
/// ```swift
/// let client = try AdminClient(.unix(AdminEndpoint.socketPath()))
/// let status = try client.request(AdminRequest(op: .status), as: StatusReport.self)
/// try client.stream(AdminRequest(op: .events, follow: true), as: AdminEvent.self) { event in
///     print(event); return true   // false stops
/// }
/// ```
///
/// One request at a time per client. Every failure is an ``AdminError``: the manager's own,
/// or ``AdminError/Code-swift.struct/noManager`` and ``AdminError/Code-swift.struct/protocolError``
/// for what happened on the way.
public final class AdminClient {
    /// Where the endpoint listens.
    public enum Address: Sendable, Hashable, CustomStringConvertible {
        /// A Unix-domain socket.
        case unix(String)
        /// TCP; the endpoint requires a token.
        case tcp(host: String, port: Int)

        public var description: String {
            switch self {
            case .unix(let path): path
            case .tcp(let host, let port): "\(host):\(port)"
            }
        }
    }

    /// Where the client connects.
    public let address: Address
    private let token: String?
    private let fd: Int32
    private var lines = LineBuffer()
    private var ready: [[UInt8]] = []
    private var nextID = 1

    /// Connects to the endpoint at `address`; `token` is sent with every request (TCP needs it).
    ///
    /// - Throws: ``AdminError/Code-swift.struct/noManager`` when nothing listens there,
    ///   ``AdminError/Code-swift.struct/unauthorized`` when the socket's permissions refuse us.
    public init(_ address: Address, token: String? = nil) throws(AdminError) {
        self.address = address
        self.token = token
        switch address {
        case .unix(let path): fd = try Self.connectUnix(path)
        case .tcp(let host, let port): fd = try Self.connectTCP(host: host, port: port)
        }
    }

    deinit {
        Glibc.close(fd)
    }

    /// Sends `request` and decodes its one reply's result as `type`.
    ///
    /// - Parameters:
    ///   - request: what to ask; its `id` and `token` are filled in when missing.
    ///   - type: the result type the operation answers with (see ``AdminOperation``).
    ///   - timeout: how long to wait for the reply; nil waits as long as the manager lives.
    /// - Throws: the manager's ``AdminError``, or a ``AdminError/Code-swift.struct/protocolError``.
    public func request<Result: Codable & Sendable>(_ request: AdminRequest, as type: Result.Type, timeout: Duration? = .seconds(120)) throws(AdminError) -> Result {
        let id = try send(request)
        let reply = try readReply(as: Result.self, id: id, timeout: timeout)
        guard let result = reply.result else {
            throw AdminError(.protocolError, "the manager's reply to \(request.op) had no result")
        }
        return result
    }

    /// Sends a request with `follow` and hands each streamed item to `body` until the stream
    /// ends, the connection closes, or `body` returns false.
    public func stream<Item: Codable & Sendable>(_ request: AdminRequest, as type: Item.Type, _ body: (Item) throws -> Bool) throws {
        let id = try send(request)
        while true {
            let reply = try readReply(as: Item.self, id: id, timeout: nil)
            if reply.end == true { return }
            guard let item = reply.result else { continue }
            if try !body(item) { return }
        }
    }

    // MARK: Wire

    /// Sends `request`; if the endpoint already closed (it refuses some peers before they
    /// say anything), its refusal is the error, not the broken pipe.
    private func send(_ request: AdminRequest) throws(AdminError) -> Int {
        do {
            return try write(request)
        } catch {
            do {
                _ = try readReply(as: NoResult.self, id: 0, timeout: .seconds(1))
            } catch let reason where reason.code != .protocolError {
                throw reason
            } catch {}
            throw error
        }
    }

    private func write(_ request: AdminRequest) throws(AdminError) -> Int {
        var request = request
        let id = request.id ?? nextID
        nextID = id + 1
        request.id = id
        if request.token == nil { request.token = token }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var bytes = try? [UInt8](encoder.encode(request)) else {
            throw AdminError(.badRequest, "cannot encode the request")
        }
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw AdminError(.protocolError, "the connection to \(address) broke: \(String(cString: strerror(errno)))") }
            offset += n
        }
        return id
    }

    private func readReply<Result: Codable & Sendable>(as type: Result.Type, id: Int, timeout: Duration?) throws(AdminError) -> AdminReply<Result> {
        while true {
            let line = try nextLine(timeout: timeout)
            guard let reply = try? JSONDecoder().decode(AdminReply<Result>.self, from: Data(line)) else {
                // An error reply has no result to decode; read it as one.
                if let failure = try? JSONDecoder().decode(AdminReply<NoResult>.self, from: Data(line)), let error = failure.error {
                    throw error
                }
                throw AdminError(.protocolError, "unreadable reply from \(address): \(String(decoding: line.prefix(200), as: UTF8.self))")
            }
            if let error = reply.error { throw error }
            if reply.id == nil || reply.id == id { return reply }
        }
    }

    private func nextLine(timeout: Duration?) throws(AdminError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ready.isEmpty {
            if let timeout {
                var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let millis = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
                var rc: Int32
                repeat { rc = poll(&pollfd, 1, millis) } while rc < 0 && errno == EINTR
                guard rc > 0 else { throw AdminError(.protocolError, "no reply from \(address) within \(timeout)") }
            }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw AdminError(.protocolError, "the manager at \(address) closed the connection") }
            do {
                ready += try lines.append(buffer[0..<n])
            } catch {
                throw AdminError(.protocolError, "a reply from \(address) is longer than the limit")
            }
        }
        return ready.removeFirst()
    }

    // MARK: Connecting

    private static func connectUnix(_ path: String) throws(AdminError) -> Int32 {
        let utf8 = Array(path.utf8)
        guard utf8.count < 108 else { throw AdminError(.badRequest, "socket path longer than 107 bytes: \(path)") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw AdminError(.noManager, "cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: utf8)
            raw[utf8.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let code = errno
            Glibc.close(fd)
            throw connectError(code, at: path)
        }
        return fd
    }

    private static func connectTCP(host: String, port: Int) throws(AdminError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw AdminError(.noManager, "cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            if fd >= 0 {
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
                lastError = errno
                Glibc.close(fd)
            }
            entry = info.pointee.ai_next
        }
        throw connectError(lastError, at: "\(host):\(port)")
    }

    private static func connectError(_ code: Int32, at place: String) -> AdminError {
        switch code {
        case ENOENT, ECONNREFUSED:
            AdminError(.noManager, "no manager is listening at \(place)")
        case EACCES, EPERM:
            AdminError(.unauthorized, "permission denied connecting to \(place): the endpoint belongs to another user")
        default:
            AdminError(.noManager, "cannot connect to \(place): \(String(cString: strerror(code)))")
        }
    }
}
