import Synchronization
import TitanCore
import TitanWire

/// A ``FrameConnection`` whose bytes pass in memory to its peer: the layers above run over it
/// exactly as over a socket (the same frames, the same delivery contract), in one process,
/// without descriptors. For tests, as `NIOEmbedded` is for swift-nio.
///
/// ```swift
/// let (client, server) = InMemoryConnection.pair()
/// ```
package final class InMemoryConnection: FrameConnection {
    private struct State {
        var inbox: [UInt8] = []
        var pending: [UInt8] = []
        var closed = false
        /// Set when this side closed or its peer did: delivery ends with it.
        var endReason: ConnectionCloseReason?
        var started = false
        /// Frames the peer may not deliver yet (see ``hold()``).
        var held = false
        var sent = 0
    }

    package let maxFrameSize: Int
    private let state = Mutex(State())
    private let wakeup = Semaphore()
    private let peerBox = Mutex<InMemoryConnection?>(nil)

    private init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// Two connected ends.
    package static func pair(maxFrameSize: Int = 64 << 20) -> (InMemoryConnection, InMemoryConnection) {
        let a = InMemoryConnection(maxFrameSize: maxFrameSize)
        let b = InMemoryConnection(maxFrameSize: maxFrameSize)
        a.peerBox.withLock { $0 = b }
        b.peerBox.withLock { $0 = a }
        return (a, b)
    }

    private var peer: InMemoryConnection? { peerBox.withLock { $0 } }

    package var isClosed: Bool { state.withLock { $0.closed } }

    /// Frames sent by this end so far.
    package var framesSent: Int { state.withLock { $0.sent } }

    package func start(
        name: String,
        onStart: (@Sendable () -> Void)?,
        handler: @escaping @Sendable (FrameInbound) -> Void,
        onBatchEnd: (@Sendable () -> Void)?,
        onClose: @escaping @Sendable (ConnectionCloseReason) -> Void
    ) {
        state.withLock { $0.started = true }
        startDetachedThread(name: name) { [self] in
            onStart?()
            let reason = deliver(handler, onBatchEnd: onBatchEnd)
            state.withLock { $0.closed = true }
            peerBox.withLock { $0 = nil }
            onClose(reason)
        }
    }

    private func deliver(_ handler: @Sendable (FrameInbound) -> Void, onBatchEnd: (@Sendable () -> Void)?) -> ConnectionCloseReason {
        var buffer: [UInt8] = []
        while true {
            wakeup.wait()
            let (chunk, end) = state.withLock { state -> ([UInt8], ConnectionCloseReason?) in
                guard !state.held else { return ([], state.endReason) }
                defer { state.inbox.removeAll(keepingCapacity: true) }
                return (state.inbox, state.endReason)
            }
            buffer += chunk
            var offset = 0
            while buffer.count - offset >= FrameHeader.size {
                let header: FrameHeader
                do {
                    header = try buffer.withUnsafeBytes { try FrameHeader.parse($0.baseAddress! + offset) }
                } catch {
                    let why = "\(error)"
                    peer?.close(reason: .protocolViolation(why))
                    return .protocolViolation(why)
                }
                let length = Int(header.length)
                guard buffer.count - offset - FrameHeader.size >= length else { break }
                let payloadStart = offset + FrameHeader.size
                offset = payloadStart + length
                if length > maxFrameSize {
                    handler(.oversized(header))
                } else {
                    handler(.frame(Frame(kind: header.kind, flags: header.flags, id: header.id, payload: Array(buffer[payloadStart..<offset]))))
                }
            }
            buffer.removeFirst(offset)
            onBatchEnd?()
            if let end, chunk.isEmpty || state.withLock({ $0.inbox.isEmpty }) {
                return end
            }
        }
    }

    private func receive(_ bytes: [UInt8]) {
        let accepted = state.withLock { state -> Bool in
            guard state.endReason == nil else { return false }
            state.inbox += bytes
            return true
        }
        if accepted { wakeup.signal() }
    }

    private func peerEnded() {
        state.withLock { state in
            if state.endReason == nil { state.endReason = .endOfStream }
        }
        wakeup.signal()
    }

    package func send(_ bytes: [UInt8]) throws(ConnectionClosedError) {
        let pending = try state.withLock { state throws(ConnectionClosedError) -> [UInt8] in
            guard !state.closed else { throw ConnectionClosedError() }
            state.sent += 1
            defer { state.pending.removeAll() }
            return state.pending + bytes
        }
        guard let peer else { throw ConnectionClosedError() }
        peer.receive(pending)
    }

    package func enqueue(_ bytes: [UInt8]) throws(ConnectionClosedError) {
        try state.withLock { state throws(ConnectionClosedError) in
            guard !state.closed else { throw ConnectionClosedError() }
            state.sent += 1
            state.pending += bytes
        }
    }

    package func flush() {
        let pending = state.withLock { state -> [UInt8] in
            defer { state.pending.removeAll() }
            return state.closed ? [] : state.pending
        }
        if !pending.isEmpty { peer?.receive(pending) }
    }

    package func close(reason: ConnectionCloseReason) {
        let first = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.closed = true
            if state.endReason == nil { state.endReason = reason }
            return true
        }
        guard first else { return }
        peer?.peerEnded()
        wakeup.signal()
    }

    /// Holds back frames arriving at this end until ``release()``: a peer that stopped reading.
    package func hold() {
        state.withLock { $0.held = true }
    }

    /// Delivers the frames held back by ``hold()`` and those that follow.
    package func release() {
        state.withLock { $0.held = false }
        wakeup.signal()
    }
}
