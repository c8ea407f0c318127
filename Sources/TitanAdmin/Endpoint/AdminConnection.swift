import FoundationEssentials
import Glibc
import Synchronization
import TitanAdminAPI
import TitanPM

/// One client of the admin endpoint: newline-delimited JSON requests in, replies out.
///
/// A reader thread splits the socket's bytes into requests; one task answers them in order;
/// a writer thread sends the replies, so a slow client never blocks a thread of the
/// cooperative pool (and one that falls 8 MiB behind is dropped).
final class AdminConnection: Sendable {
    private struct Output {
        var queue: [[UInt8]] = []
        var queuedBytes = 0
        var closing = false
        var writerDone = false
        /// Threads still using the descriptor; the last one closes it, so it is never
        /// closed under a thread blocked on it (or reused while one is).
        var users = 0
    }

    static let maxQueuedBytes = 8 << 20

    let fd: Int32
    let peer: AdminPeer
    private let controller: AdminController
    /// The token every request must carry; nil when the transport authenticated the peer.
    private let token: String?
    private let output = Mutex(Output())
    private let wake = Semaphore()
    private let handler = Mutex<Task<Void, Never>?>(nil)
    private let onClose: @Sendable () -> Void

    init(fd: Int32, peer: AdminPeer, controller: AdminController, token: String?, onClose: @escaping @Sendable () -> Void) {
        self.fd = fd
        self.peer = peer
        self.controller = controller
        self.token = token
        self.onClose = onClose
    }

    /// Starts the reader, the writer and the task that answers requests.
    func start() {
        let (requests, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        output.withLock { $0.users = 2 }
        handler.withLock {
            $0 = Task { [self] in
                for await line in requests {
                    guard !Task.isCancelled, await answer(line) else { break }
                }
                finishOutput()
            }
        }
        startDetachedThread(name: "titan-admin-out") { [self] in writeLoop() }
        startDetachedThread(name: "titan-admin-in") { [self] in
            var lines = LineBuffer()
            var buffer = [UInt8](repeating: 0, count: 16384)
            reading: while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                do {
                    for line in try lines.append(buffer[0..<n]) where !line.isEmpty {
                        continuation.yield(line)
                    }
                } catch {
                    send(AdminOutcome.encode(AdminReply<NoResult>.failure(AdminError(.badRequest, "request longer than 1 MiB"), id: nil)))
                    break reading
                }
            }
            // No more requests; the one being answered still gets its reply.
            continuation.finish()
            release()
        }
    }

    /// Refuses the peer with one error line and closes.
    func refuse(_ error: AdminError) {
        output.withLock { $0.users = 1 }
        startDetachedThread(name: "titan-admin-out") { [self] in writeLoop() }
        send(AdminOutcome.encode(AdminReply<NoResult>.failure(error, id: nil)))
        finishOutput()
    }

    /// Ends the connection now: the answering task is cancelled (streams stop) and the socket closes.
    func close() {
        handler.withLock { $0?.cancel() }
        output.withLock { output in
            // Wakes the reader and a writer blocked on a client that does not read.
            if output.users > 0 { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
            output.closing = true
        }
        wake.signal()
    }

    /// Answers one request line; false when the connection must end after the reply.
    private func answer(_ line: [UInt8]) async -> Bool {
        let request: AdminRequest
        do {
            request = try JSONDecoder().decode(AdminRequest.self, from: Data(line))
        } catch {
            send(AdminOutcome.encode(AdminReply<NoResult>.failure(AdminError(.badRequest, "not a request: \(error)"), id: nil)))
            return true
        }
        if let token, !Self.constantTimeEqual(request.token ?? "", token) {
            controller.logger.warning("admin request without a valid token", metadata: ["peer": "\(peer)", "op": "\(request.op)"])
            send(AdminOutcome.encode(AdminReply<NoResult>.failure(
                AdminError(.unauthorized, "this endpoint requires a token (--token or $\(AdminEndpoint.tokenVariable))"), id: request.id
            )))
            return false
        }
        switch await controller.handle(request, from: peer) {
        case .reply(let bytes):
            send(bytes)
        case .stream(let documents):
            for await document in documents {
                guard send(document) else { break }
            }
        }
        return true
    }

    // MARK: Writing

    /// Queues one line; false once the connection is closing or the client fell too far behind.
    @discardableResult
    private func send(_ document: [UInt8]) -> Bool {
        let accepted = output.withLock { output -> Bool in
            guard !output.closing else { return false }
            guard output.queuedBytes + document.count <= Self.maxQueuedBytes else {
                output.closing = true
                return false
            }
            output.queue.append(document + [UInt8(ascii: "\n")])
            output.queuedBytes += document.count + 1
            return true
        }
        wake.signal()
        if !accepted { handler.withLock { $0?.cancel() } }
        return accepted
    }

    /// No more lines: the writer sends what is queued, then closes the socket.
    private func finishOutput() {
        output.withLock { $0.closing = true }
        wake.signal()
    }

    private func writeLoop() {
        while true {
            wake.wait()
            while let next = output.withLock({ output -> [UInt8]? in
                guard !output.queue.isEmpty else { return nil }
                let first = output.queue.removeFirst()
                output.queuedBytes -= first.count
                return first
            }) {
                if !Self.writeAll(fd, next) {
                    output.withLock { $0.closing = true; $0.queue = []; $0.queuedBytes = 0 }
                    handler.withLock { $0?.cancel() }
                    break
                }
            }
            let done = output.withLock { output -> Bool in
                guard output.closing, output.queue.isEmpty, !output.writerDone else { return false }
                output.writerDone = true
                Glibc.shutdown(fd, Int32(SHUT_RDWR))
                return true
            }
            if done { break }
        }
        release()
    }

    private func release() {
        let last = output.withLock { output -> Bool in
            output.users -= 1
            return output.users == 0
        }
        guard last else { return }
        Glibc.close(fd)
        onClose()
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// Compares without an early exit, so the time taken says nothing about where a guess went wrong.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
