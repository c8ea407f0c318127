import Glibc
import Synchronization
import TitanCore
import TitanWire

/// A ``FrameConnection`` over one stream socket (a Unix-domain socket or a socketpair).
///
/// Reading: one OS thread per connection blocks in `read`, cuts the byte stream into frames
/// and hands each to the handler on that thread, in arrival order. Handlers must be quick
/// (resume a continuation, start a task).
///
/// Writing: the sending thread writes its frame itself with a non-blocking `send`, so an
/// uncontended call costs one syscall and no thread hop. Frames sent while another thread is
/// writing are appended to a pending buffer that the writing thread sends before it leaves
/// (writes coalesce under load). If the socket buffer is full, the rest goes to a flusher
/// thread that waits for the socket to drain — a sender never blocks, so a stopped peer
/// cannot starve the cooperative thread pool.
///
/// Limits for a serving side that does not trust its peer yet (see the initializer): frames
/// before the handshake are small, and the reader stops reading while too many bytes wait to
/// be sent, so a peer that sends calls without reading the replies stalls instead of
/// growing this process.
package final class SocketConnection: FrameConnection {
    private struct State {
        var pending: [UInt8] = []
        /// A thread is inside `send` for this socket (a sender or the flusher).
        var writing = false
        /// No more frames are accepted.
        var closed = false
        var readerDone = false
        var fdClosed = false
        var shutdownDone = false
        var reason: ConnectionCloseReason?
        /// The reader waits for `pending` to drain below `maxUnsentBytes`.
        var readerParked = false
    }

    package let fd: Int32
    package let maxFrameSize: Int
    /// Unsent bytes above which the reader stops reading; nil: no limit (a calling side,
    /// which must always read the replies that let its peer make progress).
    package let maxUnsentBytes: Int?
    private let state = Mutex(State())
    private let flusherWakeup = Semaphore()
    private let readerWakeup = Semaphore()
    private let flusher = LazyThread(name: "titan-flush")
    /// The largest payload the reader accepts now: `handshakeFrameLimit` until
    /// ``handshakeCompleted()``, then `maxFrameSize`. Written and read on the reader thread
    /// (the handler calls `handshakeCompleted`), atomic for the others' reads.
    let frameLimit: Atomic<Int>
    let handshakePending: Atomic<Bool>

    /// Wraps a connected socket. Nothing is read until ``start(name:onStart:handler:onBatchEnd:onClose:)``.
    ///
    /// - Parameters:
    ///   - handshakeFrameLimit: for an accepting side, the largest frame read before
    ///     ``handshakeCompleted()``; a larger one ends the connection before a byte of its
    ///     payload is stored. Nil: frames up to `maxFrameSize` from the start.
    ///   - maxUnsentBytes: for a serving side, stop reading while more than this many bytes
    ///     wait to be sent (see ``maxUnsentBytes``).
    package init(fd: Int32, maxFrameSize: Int, handshakeFrameLimit: Int? = nil, maxUnsentBytes: Int? = nil) {
        self.fd = fd
        self.maxFrameSize = maxFrameSize
        self.maxUnsentBytes = maxUnsentBytes
        frameLimit = Atomic(min(handshakeFrameLimit ?? maxFrameSize, maxFrameSize))
        handshakePending = Atomic(handshakeFrameLimit != nil)
    }

    /// The peer has proven who it is: frames up to `maxFrameSize` from now on.
    package func handshakeCompleted() {
        frameLimit.store(maxFrameSize, ordering: .relaxed)
        handshakePending.store(false, ordering: .relaxed)
    }

    /// Starts the reader thread. `onStart` runs on it first; `handler` receives every frame; `onBatchEnd` runs after the
    /// frames of one read have been handled, before the thread blocks again; `onClose` is
    /// called once when the connection ends. All three run on the reader thread.
    package func start(
        name: String,
        onStart: (@Sendable () -> Void)?,
        handler: @escaping @Sendable (FrameInbound) -> Void,
        onBatchEnd: (@Sendable () -> Void)?,
        onClose: @escaping @Sendable (ConnectionCloseReason) -> Void
    ) {
        startDetachedThread(name: name) { [self] in
            onStart?()
            let reason = readLoop(handler, onBatchEnd: onBatchEnd)
            let final = state.withLock { state -> ConnectionCloseReason in
                state.closed = true
                state.readerDone = true
                if state.reason == nil { state.reason = reason }
                return state.reason!
            }
            flusherWakeup.signal()
            closeDescriptorIfIdle()
            onClose(final)
        }
    }

    package var isClosed: Bool { state.withLock { $0.closed } }

    /// Ends the connection: the peer sees end-of-stream, the reader reports `.closedLocally`.
    package func close(reason: ConnectionCloseReason) {
        let mustShutdown = state.withLock { state -> Bool in
            state.closed = true
            if state.reason == nil { state.reason = reason }
            guard !state.shutdownDone, !state.fdClosed else { return false }
            state.shutdownDone = true
            return true
        }
        if mustShutdown {
            // Wakes the reader (read returns 0); the descriptor is closed once nobody uses it.
            shutdown(fd, Int32(SHUT_RDWR))
        }
        flusherWakeup.signal()
        readerWakeup.signal()
    }

    /// Sends one complete frame (header included). Frames from one thread arrive in order.
    package func send(_ bytes: [UInt8]) throws(ConnectionClosedError) {
        let chunk = try state.withLock { state throws(ConnectionClosedError) -> [UInt8]? in
            guard !state.closed else { throw ConnectionClosedError() }
            if state.writing {
                state.pending.append(contentsOf: bytes)
                return nil
            }
            state.writing = true
            // Frames queued for a flush go first, to keep the order.
            guard !state.pending.isEmpty else { return bytes }
            state.pending.append(contentsOf: bytes)
            return swapPending(&state)
        }
        if let chunk { try writeLoop(chunk) }
    }

    /// Queues a frame without writing it; a later ``flush()`` (or send) writes it together with
    /// whatever else was queued. The reader thread queues the replies of a whole batch of
    /// calls this way and writes them with one syscall.
    package func enqueue(_ bytes: [UInt8]) throws(ConnectionClosedError) {
        try state.withLock { state throws(ConnectionClosedError) in
            guard !state.closed else { throw ConnectionClosedError() }
            state.pending.append(contentsOf: bytes)
        }
    }

    /// Writes everything queued, unless another thread is writing (it takes it along).
    package func flush() {
        let chunk = state.withLock { state -> [UInt8]? in
            guard !state.closed, !state.writing, !state.pending.isEmpty else { return nil }
            state.writing = true
            return swapPending(&state)
        }
        if let chunk { try? writeLoop(chunk) }
    }

    /// Writes `first`, then whatever was queued meanwhile, as the one writing thread.
    private func writeLoop(_ first: [UInt8]) throws(ConnectionClosedError) {
        var chunk = first
        while true {
            switch writeNonBlocking(chunk) {
            case .done:
                let next = state.withLock { state -> [UInt8]? in
                    if state.pending.isEmpty || state.closed {
                        state.writing = false
                        state.pending = []
                        return nil
                    }
                    return swapPending(&state)
                }
                guard let next else {
                    closeDescriptorIfIdle()
                    return
                }
                chunk = next
            case .wouldBlock(let written):
                handToFlusher(Array(chunk[written...]))
                return
            case .failed(let code):
                state.withLock { state in
                    state.writing = false
                    state.pending = []
                }
                close(reason: .failed(code))
                closeDescriptorIfIdle()
                throw ConnectionClosedError()
            }
        }
    }

    private func swapPending(_ state: inout State) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(state.pending.capacity)
        swap(&out, &state.pending)
        if state.readerParked {
            // What the reader waited for: pending is empty again (the bytes in hand are at most
            // the limit plus one batch, so unsent bytes stay below twice the limit).
            state.readerParked = false
            readerWakeup.signal()
        }
        return out
    }

    /// Back-pressure: after a batch, the reader waits while more than ``maxUnsentBytes`` wait
    /// to be sent. Whoever made them pending is writing them (the batch's flush hands what the
    /// socket cannot take to the flusher), and the next swap wakes the reader.
    func waitWhileBacklogged() {
        guard let limit = maxUnsentBytes else { return }
        while true {
            let park = state.withLock { state -> Bool in
                guard !state.closed, state.pending.count > limit else {
                    state.readerParked = false
                    return false
                }
                state.readerParked = true
                return true
            }
            guard park else { return }
            readerWakeup.wait()
        }
    }

    private enum WriteOutcome {
        case done
        case wouldBlock(written: Int)
        case failed(Int32)
    }

    private func writeNonBlocking(_ bytes: [UInt8]) -> WriteOutcome {
        var offset = 0
        return bytes.withUnsafeBytes { raw -> WriteOutcome in
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                if n >= 0 {
                    offset += n
                    continue
                }
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: return .wouldBlock(written: offset)
                case let code: return .failed(code)
                }
            }
            return .done
        }
    }

    /// Queues `leftover` ahead of everything pending and lets the flusher thread finish the job.
    private func handToFlusher(_ leftover: [UInt8]) {
        state.withLock { $0.pending = leftover + $0.pending }
        flusher.start { [self] in flushLoop() }
        flusherWakeup.signal()
    }

    private func flushLoop() {
        while true {
            flusherWakeup.wait()
            while true {
                let chunk = state.withLock { state -> [UInt8]? in
                    if state.closed {
                        state.writing = false
                        state.pending = []
                        return nil
                    }
                    if state.pending.isEmpty {
                        state.writing = false
                        return nil
                    }
                    return swapPending(&state)
                }
                guard let chunk else { break }
                var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pollfd, 1, -1)
                switch writeNonBlocking(chunk) {
                case .done:
                    continue
                case .wouldBlock(let written):
                    state.withLock { $0.pending = Array(chunk[written...]) + $0.pending }
                case .failed(let code):
                    state.withLock { $0.writing = false }
                    close(reason: .failed(code))
                }
            }
            let exit = state.withLock { $0.closed }
            closeDescriptorIfIdle()
            if exit { return }
        }
    }

    /// Closes the descriptor once the reader has stopped and no thread is writing, so a
    /// descriptor number is never reused under a thread still using it.
    private func closeDescriptorIfIdle() {
        let shouldClose = state.withLock { state -> Bool in
            guard state.readerDone, !state.writing, !state.fdClosed else { return false }
            state.fdClosed = true
            return true
        }
        if shouldClose { Glibc.close(fd) }
    }
}
