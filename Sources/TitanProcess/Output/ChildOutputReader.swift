import CTitan
import Glibc
import Synchronization
import TitanCore
import TitanTelemetry

/// One child's output pipes as its parent reads them, on the shared ``PollLoop``: stdout and
/// stderr cut into lines and the log pipe into ``LogRecord``s for the child's
/// ``ChildOutputHandler``; stderr's last lines kept in an ``OutputTail`` (what a crash says);
/// and stderr forwarded, as it arrives, to this process's standard error when no handler
/// takes it.
///
/// The loop reads as fast as children write, at most 64 KiB per ready pipe per turn, so one
/// flooding child cannot starve the others; the children never wait on anything but their
/// pipes, and what a handler cannot keep up with it drops (and counts).
package final class ChildOutputReader: Sendable {
    /// Lines longer than this are handed over in pieces of this size.
    package static let maxLineLength = 16 << 10
    /// What one turn of the loop reads from one pipe.
    private static let chunkSize = 64 << 10

    private struct Stream {
        var kind: LogSource
        var fd: Int32
        /// The handler gets this stream (otherwise stderr is forwarded, stdout never piped).
        var handled: Bool
        var partial: [UInt8] = []
        var records = LogRecordReader()
        var open = true
    }

    private struct State {
        var streams: [Stream]
        var tail = OutputTail()
    }

    private let state: Mutex<State>
    private let handler: (any ChildOutputHandler)?
    private let forwardTo: Int32

    private init(streams: [Stream], handler: (any ChildOutputHandler)?, forwardTo: Int32) {
        state = Mutex(State(streams: streams))
        self.handler = handler
        self.forwardTo = forwardTo
    }

    /// Starts reading `pipes`' read ends, which belong to the loop from now on (it closes each
    /// when it ends). `handler` gets the streams in `handled`; stderr, unless handled, is
    /// forwarded to `forwardTo` (this process's standard error).
    package static func start(
        _ pipes: ChildOutputPipes,
        handler: (any ChildOutputHandler)?,
        handled: [LogSource],
        forwardTo: Int32 = 2
    ) -> ChildOutputReader {
        let streams = pipes.readEnds.map { Stream(kind: $0.stream, fd: $0.fd, handled: handler != nil && handled.contains($0.stream)) }
        let reader = ChildOutputReader(streams: streams, handler: handler, forwardTo: forwardTo)
        for index in streams.indices {
            do {
                try PollLoop.shared.watch(streams[index].fd) { [reader] in reader.readReady(index) }
            } catch {
                // Cannot happen for a fresh pipe: what the child writes there is lost.
                reader.state.withLock { reader.end(index, &$0) }
                close(streams[index].fd)
            }
        }
        return reader
    }

    /// Why the child ended, as far as its standard error says (see ``OutputTail/summary``).
    package var lastOutput: String? {
        state.withLock { $0.tail.summary }
    }

    /// Reads what the pipes hold now, without waiting, and completes their last lines: called
    /// once the child has exited, when everything it wrote is in its pipes. Bounded, for a
    /// pipe that a process the child started still writes to.
    package func drain() {
        state.withLock { state in
            withUnsafeTemporaryAllocation(byteCount: Self.chunkSize, alignment: 16) { buffer in
                for index in state.streams.indices where state.streams[index].open {
                    var turns = 32
                    while turns > 0, read(index, into: buffer, &state) {
                        turns -= 1
                    }
                    flushPartialLine(index, &state)
                    if !state.streams[index].open { PollLoop.shared.finish(state.streams[index].fd) }
                }
            }
        }
    }

    // MARK: On the loop's thread

    /// One turn for a ready pipe; false once it has ended.
    private func readReady(_ index: Int) -> Bool {
        state.withLock { state in
            guard state.streams[index].open else { return false }
            withUnsafeTemporaryAllocation(byteCount: Self.chunkSize, alignment: 16) { buffer in
                _ = read(index, into: buffer, &state)
            }
            return state.streams[index].open
        }
    }

    /// Reads once from stream `index` and hands on what came; true if bytes came (there may
    /// be more), false if the pipe is empty for now or has ended.
    private func read(_ index: Int, into buffer: UnsafeMutableRawBufferPointer, _ state: inout State) -> Bool {
        let n = Glibc.read(state.streams[index].fd, buffer.baseAddress, buffer.count)
        if n > 0 {
            deliver(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), from: index, &state)
            return true
        }
        if n < 0 && errno == EINTR { return true }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return false }
        end(index, &state)
        return false
    }

    private func deliver(_ bytes: UnsafeRawBufferPointer, from index: Int, _ state: inout State) {
        // Not the whole stream: a copy would share `partial` and make every append copy it.
        let (kind, handled) = (state.streams[index].kind, state.streams[index].handled)
        if kind == .log {
            guard handled, let handler else { return }
            for record in state.streams[index].records.feed(bytes) { handler.record(record) }
            return
        }
        if kind == .stderr && !handled { forward(bytes) }
        let maxLine = Self.maxLineLength
        var start = 0
        while start < bytes.count {
            guard let found = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) else {
                state.streams[index].partial.append(contentsOf: bytes[start...])
                while state.streams[index].partial.count >= maxLine {
                    let piece = Array(state.streams[index].partial.prefix(maxLine))
                    state.streams[index].partial.removeFirst(maxLine)
                    piece.withUnsafeBytes { line($0, from: index, &state) }
                }
                return
            }
            let newline = UnsafeRawPointer(found) - bytes.baseAddress!
            if state.streams[index].partial.isEmpty {
                line(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]), from: index, &state)
            } else {
                var whole = state.streams[index].partial
                state.streams[index].partial.removeAll(keepingCapacity: true)
                whole.append(contentsOf: bytes[start..<newline])
                whole.withUnsafeBytes { line($0, from: index, &state) }
            }
            start = newline + 1
        }
    }

    /// One whole line of stream `index`: to the crash tail (stderr) and the handler.
    private func line(_ bytes: UnsafeRawBufferPointer, from index: Int, _ state: inout State) {
        let (kind, handled) = (state.streams[index].kind, state.streams[index].handled)
        if kind == .stderr { state.tail.append(line: bytes) }
        if handled { handler?.line(bytes, stream: kind) }
    }

    /// What is left of a last line without a newline goes out as a line.
    private func flushPartialLine(_ index: Int, _ state: inout State) {
        guard !state.streams[index].partial.isEmpty else { return }
        let rest = state.streams[index].partial
        state.streams[index].partial = []
        rest.withUnsafeBytes { line($0, from: index, &state) }
    }

    /// The stream reached its end; the loop closes its descriptor.
    private func end(_ index: Int, _ state: inout State) {
        flushPartialLine(index, &state)
        state.streams[index].open = false
    }

    private func forward(_ bytes: UnsafeRawBufferPointer) {
        guard forwardTo >= 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let n = write(forwardTo, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }
}
