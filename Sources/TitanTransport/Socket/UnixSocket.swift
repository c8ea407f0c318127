import CTitan
import Glibc
import TitanCore
import TitanWire

/// A socket-level failure, with the path and the system's reason.
package struct SocketError: Error, CustomStringConvertible, Sendable {
    package var operation: String
    package var path: String
    package var errno: Int32

    package init(_ operation: String, path: String, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    package var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno)))"
    }
}

/// Plain POSIX Unix-domain stream sockets. Every descriptor is close-on-exec.
///
/// A path that starts with `@` names a socket in Linux's abstract namespace (the `@` stands
/// for the leading zero byte): nothing in the file system, so nothing is left behind however
/// the process that listens on it ends.
package enum UnixSocket {
    /// `sun_path` holds 108 bytes including the terminator.
    package static let maxPathLength = 107

    /// Whether `path` names an abstract socket.
    package static func isAbstract(_ path: String) -> Bool { path.hasPrefix("@") }

    private static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) throws(SocketError) -> T {
        var utf8 = Array(path.utf8)
        let abstract = isAbstract(path)
        if abstract { utf8[0] = 0 }
        guard utf8.count <= maxPathLength else {
            throw SocketError("socket path longer than \(maxPathLength) bytes:", path: path, errno: ENAMETOOLONG)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: utf8)
            raw[utf8.count] = 0
        }
        // An abstract name is exactly its bytes (no terminator counts).
        let length = abstract ? MemoryLayout<sa_family_t>.size + utf8.count : MemoryLayout<sockaddr_un>.size
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(length))
            }
        }
    }

    private static func makeSocket(path: String) throws(SocketError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", path: path) }
        return fd
    }

    /// Binds and listens on `path`, replacing a stale socket file left by a dead process.
    package static func listen(path: String, backlog: Int32 = 128) throws(SocketError) -> Int32 {
        let fd = try makeSocket(path: path)
        let abstract = isAbstract(path)
        if !abstract { unlink(path) }
        let rc = try withAddress(path) { bind(fd, $0, $1) }
        guard rc == 0 else {
            let error = SocketError("bind", path: path)
            close(fd)
            throw error
        }
        if !abstract { chmod(path, 0o600) }
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = SocketError("listen", path: path)
            close(fd)
            if !abstract { unlink(path) }
            throw error
        }
        return fd
    }

    /// Connects to the socket at `path` (blocking; local connects complete at once or fail).
    package static func connect(path: String) throws(SocketError) -> Int32 {
        let fd = try makeSocket(path: path)
        let rc = try withAddress(path) { Glibc.connect(fd, $0, $1) }
        guard rc == 0 else {
            let error = SocketError("connect", path: path)
            close(fd)
            throw error
        }
        return fd
    }

    /// Who is at the other end of a connected Unix socket, as the kernel recorded it when
    /// the connection was made (SO_PEERCRED): it cannot be forged by the peer.
    package struct PeerCredentials: Sendable, Equatable {
        package var pid: Int32
        package var uid: UInt32
        package var gid: UInt32
    }

    /// The peer's credentials; nil if the socket is not a connected Unix socket.
    package static func peerCredentials(_ fd: Int32) -> PeerCredentials? {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        guard titan_peer_credentials(fd, &pid, &uid, &gid) == 0 else { return nil }
        return PeerCredentials(pid: pid, uid: uid, gid: gid)
    }

    /// A connected pair, both ends close-on-exec.
    package static func pair() throws(SocketError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SocketError("socketpair", path: "")
        }
        return (fds[0], fds[1])
    }

    /// Writes all of `bytes`, blocking; for small control messages, never the call path.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// Reads exactly `count` bytes, blocking; nil on EOF or error.
    package static func readExactly(_ fd: Int32, count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress! + offset, count - offset)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            offset += n
        }
        return buffer
    }

    /// Writes one message with a UInt32 length prefix (the control socket's framing).
    package static func writeMessage(_ fd: Int32, _ message: [UInt8]) -> Bool {
        var writer = ByteWriter(capacity: 4 + message.count)
        writer.writeInteger(UInt32(message.count))
        writer.writeBytes(message)
        return writeAll(fd, writer.bytes)
    }

    /// Reads one message written by ``writeMessage(_:_:)``; nil on EOF, error or a length
    /// above `limit`.
    package static func readMessage(_ fd: Int32, limit: Int) -> [UInt8]? {
        guard let prefix = readExactly(fd, count: 4) else { return nil }
        let length = Int(UInt32(prefix[0]) | UInt32(prefix[1]) << 8 | UInt32(prefix[2]) << 16 | UInt32(prefix[3]) << 24)
        guard length <= limit else { return nil }
        return length == 0 ? [] : readExactly(fd, count: length)
    }

    /// Waits up to `timeout` for bytes and returns what is there; nil on EOF, error or timeout.
    package static func readSome(_ fd: Int32, timeout: Duration, max: Int = 65536) -> [UInt8]? {
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let millis = Int32(clamping: timeout.wholeNanoseconds / 1_000_000)
        var rc: Int32
        repeat { rc = poll(&pollfd, 1, millis) } while rc < 0 && errno == EINTR
        guard rc > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: max)
        let n = read(fd, &buffer, max)
        guard n > 0 else { return nil }
        return Array(buffer[0..<n])
    }
}
