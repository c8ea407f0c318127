import Glibc
import TitanCore
import TitanTelemetry

/// Reads one child's output pipes on a thread of its own until they all end, cutting stdout
/// and stderr into lines and the log pipe into ``LogRecord``s for a ``ChildOutputHandler``.
///
/// The thread only copies: it reads as fast as the child writes, so the child never waits on
/// anything but the pipe, and what the handler cannot keep up with it drops (and counts).
package enum ChildOutputReader {
    /// Lines longer than this are handed over in pieces of this size.
    package static let maxLineLength = 16 << 10

    /// Starts reading `pipes`' read ends; the thread closes them when they end.
    package static func start(_ pipes: ChildOutputPipes, name: String, handler: any ChildOutputHandler) {
        let ends = pipes.readEnds
        startDetachedThread(name: "titan-out-\(name)") {
            run(ends, handler: handler)
        }
    }

    private struct Stream {
        var fd: Int32
        var kind: LogSource
        var partial: [UInt8] = []
        var records = LogRecordReader()
        var open = true
    }

    private static func run(_ ends: [(fd: Int32, stream: LogSource)], handler: any ChildOutputHandler) {
        var streams = ends.map { Stream(fd: $0.fd, kind: $0.stream) }
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while streams.contains(where: \.open) {
            var polls = streams.map { pollfd(fd: $0.open ? $0.fd : -1, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polls, nfds_t(polls.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in streams.indices where streams[index].open && polls[index].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(streams[index].fd, $0.baseAddress!, $0.count) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n <= 0 {
                    finish(&streams[index], handler: handler)
                    continue
                }
                chunk.withUnsafeBytes { deliver(UnsafeRawBufferPointer(rebasing: $0[0..<n]), from: &streams[index], handler: handler) }
            }
        }
        for stream in streams where stream.open { close(stream.fd) }
        handler.closed()
    }

    private static func deliver(_ bytes: UnsafeRawBufferPointer, from stream: inout Stream, handler: any ChildOutputHandler) {
        if stream.kind == .log {
            for record in stream.records.feed(bytes) { handler.record(record) }
            return
        }
        var start = 0
        while start < bytes.count {
            guard let found = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) else {
                stream.partial.append(contentsOf: bytes[start...])
                while stream.partial.count >= maxLineLength {
                    stream.partial.withUnsafeBytes { handler.line(UnsafeRawBufferPointer(rebasing: $0[0..<maxLineLength]), stream: stream.kind) }
                    stream.partial.removeFirst(maxLineLength)
                }
                return
            }
            let newline = UnsafeRawPointer(found) - bytes.baseAddress!
            if stream.partial.isEmpty {
                handler.line(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]), stream: stream.kind)
            } else {
                stream.partial.append(contentsOf: bytes[start..<newline])
                stream.partial.withUnsafeBytes { handler.line($0, stream: stream.kind) }
                stream.partial.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
    }

    private static func finish(_ stream: inout Stream, handler: any ChildOutputHandler) {
        if !stream.partial.isEmpty {
            stream.partial.withUnsafeBytes { handler.line($0, stream: stream.kind) }
            stream.partial = []
        }
        close(stream.fd)
        stream.open = false
    }
}
