import Glibc
import Synchronization
import TitanCore
import TitanTransport
import TitanWire

/// The parent's end of a child's control channel (see ``ControlChannel``): requests out, with
/// a deadline on the parent's clock; replies read on the shared ``PollLoop``.
///
/// Writes never block: a child that has stopped reading (it is frozen) fills the socket's
/// buffer, and then requests fail at once rather than hold the caller.
package final class ControlLink: Sendable {
    private struct State {
        var fd: Int32
        var received: [UInt8] = []
        /// A write went out in part: the stream's framing is lost, nothing more is sent.
        var broken = false
    }

    private let state: Mutex<State>
    private let replies: WaiterTable<[UInt8]>
    private let nextID = Atomic<UInt64>(1)
    private let process: ProcessID

    /// The link over `fd` (the parent's end of the pair) to the child that hosts `process`.
    package init(fd: Int32, process: ProcessID, clock: any RuntimeClock) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        state = Mutex(State(fd: fd))
        replies = WaiterTable(clock: clock)
        self.process = process
    }

    deinit {
        let fd = state.withLock { $0.fd }
        if fd >= 0 { close(fd) }
    }

    /// Starts reading replies. The descriptor belongs to the loop from now on; the link ends
    /// when the child's end closes.
    package func start() {
        let fd = state.withLock { $0.fd }
        guard fd >= 0 else { return }
        do {
            try PollLoop.shared.watch(fd) { [self] in readAvailable() }
        } catch {
            // Cannot happen for a fresh socket: the link is closed, and requests fail at once.
            state.withLock { $0.fd = -1 }
            close(fd)
        }
    }

    /// Ends the link now that the child has exited (on the loop's thread the descriptor is
    /// closed at once, see ``PollLoop/finish(_:)``); waiting requests fail.
    package func finish() {
        let fd = state.withLock { state -> Int32 in
            defer { state.fd = -1 }
            return state.fd
        }
        if fd >= 0 { PollLoop.shared.finish(fd) }
        replies.close(with: ProcessError.connectionLost("the child exited"))
    }

    /// Sends `request` and returns the reply's payload; throws ``ProcessError/Code/timedOut``
    /// after `timeout`, ``ProcessError/Code/connectionLost`` if the request cannot be sent or
    /// the child goes away, and the child's failure otherwise.
    package func request(_ request: ControlRequest, timeout: Duration, clock: any RuntimeClock) async throws -> [UInt8] {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await replies.wait(
            for: id,
            deadline: clock.deadline(after: timeout),
            onDeadline: { .failure(ProcessError.timedOut(after: timeout)) },
            registered: {
                if !send(.request(id: id, request)) {
                    replies.resume(id, with: .failure(ProcessError.connectionLost("the control channel is closed")))
                }
            }
        )
    }

    /// Sends `request` without waiting for its reply; false if it could not be sent.
    @discardableResult
    package func post(_ request: ControlRequest) -> Bool {
        send(.request(id: nextID.wrappingAdd(1, ordering: .relaxed).oldValue, request))
    }

    private func send(_ message: ControlChannelMessage) -> Bool {
        var framed = ByteWriter()
        let body = message.bytes
        framed.writeInteger(UInt32(body.count))
        framed.writeBytes(body)
        let bytes = framed.bytes
        return state.withLock { state -> Bool in
            guard state.fd >= 0, !state.broken else { return false }
            let n = bytes.withUnsafeBytes { Glibc.send(state.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if n == bytes.count { return true }
            if n > 0 { state.broken = true }
            return false
        }
    }

    /// Reads what the child sent and resumes the requests it answers; false once the channel
    /// has ended (it is closed then, and every waiting request fails).
    ///
    /// A child may be hostile: it gets at most 64 KiB read per wake-up (the poll loop serves
    /// every child), and a message announced larger than ``ControlChannelMessage/maxSize``
    /// ends the channel (the child then exits by itself) instead of growing the manager.
    private func readAvailable() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        var messages: [ControlChannelMessage] = []
        let open = state.withLock { state -> Bool in
            guard state.fd >= 0 else { return false }
            for _ in 0..<16 {
                let n = read(state.fd, &chunk, chunk.count)
                if n > 0 {
                    state.received += chunk[0..<n]
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
                state.fd = -1
                break
            }
            while state.received.count >= 4 {
                let length = Int(UInt32(state.received[0]) | UInt32(state.received[1]) << 8 | UInt32(state.received[2]) << 16 | UInt32(state.received[3]) << 24)
                guard length <= ControlChannelMessage.maxSize else {
                    close(state.fd)
                    state.fd = -1
                    state.received = []
                    break
                }
                guard state.received.count >= 4 + length else { break }
                if let message = try? ControlChannelMessage(bytes: Array(state.received[4..<(4 + length)])) { messages.append(message) }
                state.received.removeFirst(4 + length)
            }
            return state.fd >= 0
        }
        for message in messages {
            switch message {
            case .done(let id, let payload): replies.resume(id, with: .success(payload))
            case .failed(let id, let why): replies.resume(id, with: .failure(ProcessError(.remote, why, process: process)))
            case .request: break
            }
        }
        if !open { replies.close(with: ProcessError.connectionLost("the child closed its control channel")) }
        return open
    }
}
