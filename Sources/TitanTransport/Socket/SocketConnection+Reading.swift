import Glibc
import TitanCore
import TitanWire

/// The reading side: cutting the byte stream into frames, within the limits in force.
extension SocketConnection {
    func readLoop(_ handler: @Sendable (FrameInbound) -> Void, onBatchEnd: (@Sendable () -> Void)?) -> ConnectionCloseReason {
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        let base = buffer.baseAddress!
        var start = 0
        var end = 0

        while true {
            let n = read(fd, base + end, capacity - end)
            if n == 0 { return .endOfStream }
            if n < 0 {
                if errno == EINTR { continue }
                return .failed(errno)
            }
            end += n

            while end - start >= FrameHeader.size {
                let header: FrameHeader
                do {
                    header = try FrameHeader.parse(base + start)
                } catch {
                    let why: String = switch error {
                    case .badMagic(let byte): "bad frame magic 0x\(String(byte, radix: 16))"
                    case .unknownKind(let kind): "unknown frame kind \(kind)"
                    }
                    reportViolation(why)
                    return .protocolViolation(why)
                }
                let length = Int(header.length)
                let available = end - start - FrameHeader.size
                let limit = frameLimit.load(ordering: .relaxed)

                if length > limit && handshakePending.load(ordering: .relaxed) {
                    // A peer nobody vouched for gets no memory for its announcements.
                    let why = "frame of \(length) bytes before the handshake (at most \(limit))"
                    reportViolation(why)
                    return .protocolViolation(why)
                }

                if length > limit {
                    // Skip the payload without storing it, then report the frame.
                    var toSkip = length
                    let here = min(available, toSkip)
                    toSkip -= here
                    start += FrameHeader.size + here
                    while toSkip > 0 {
                        let r = read(fd, base, min(capacity, toSkip))
                        if r == 0 { return .endOfStream }
                        if r < 0 {
                            if errno == EINTR { continue }
                            return .failed(errno)
                        }
                        toSkip -= r
                    }
                    if toSkip == 0 && start >= end { start = 0; end = 0 }
                    handler(.oversized(header))
                    continue
                }

                if available >= length {
                    let payloadStart = start + FrameHeader.size
                    let payload = [UInt8](UnsafeRawBufferPointer(rebasing: buffer[payloadStart..<(payloadStart + length)]))
                    start = payloadStart + length
                    handler(.frame(Frame(kind: header.kind, flags: header.flags, id: header.id, payload: payload)))
                    continue
                }

                if FrameHeader.size + length > capacity {
                    // A large frame: read the rest straight into its own array (no second copy).
                    var failure: ConnectionCloseReason?
                    let received = available
                    let payload = [UInt8](unsafeUninitializedCapacity: length) { destination, initialized in
                        let target = UnsafeMutableRawBufferPointer(destination).baseAddress!
                        target.copyMemory(from: base + start + FrameHeader.size, byteCount: received)
                        var filled = received
                        while filled < length {
                            let r = read(fd, target + filled, length - filled)
                            if r == 0 { failure = .endOfStream; break }
                            if r < 0 {
                                if errno == EINTR { continue }
                                failure = .failed(errno)
                                break
                            }
                            filled += r
                        }
                        initialized = filled
                    }
                    if let failure { return failure }
                    start = 0
                    end = 0
                    handler(.frame(Frame(kind: header.kind, flags: header.flags, id: header.id, payload: payload)))
                    continue
                }
                break
            }
            onBatchEnd?()
            waitWhileBacklogged()

            if start == end {
                start = 0
                end = 0
            } else if start > 0 && capacity - end < capacity / 4 {
                // Keep room to read a whole header and a typical frame after the partial one.
                memmove(base, base + start, end - start)
                end -= start
                start = 0
            }
        }
    }

    /// Tells the peer why it is being cut off, best effort, before the connection closes.
    private func reportViolation(_ why: String) {
        var builder = FrameBuilder(kind: .protocolError)
        builder.writer.writeString(why)
        try? send(builder.finish(id: 0))
    }
}
