import CTitan
import Glibc
import Synchronization
import TitanCore
import TitanTelemetry

/// Reads every child's output pipes on one thread (epoll), cutting stdout and stderr into
/// lines and the log pipe into ``LogRecord``s for each child's ``ChildOutputHandler``.
///
/// One thread for all children, so a manager with hundreds of children pays one thread for
/// their output, not one each. The thread only copies: it reads as fast as children write
/// (64 KiB per ready pipe per turn, so one flooding child cannot starve the others), the
/// children never wait on anything but their pipes, and what a handler cannot keep up with
/// it drops (and counts).
package final class ChildOutputReader: Sendable {
    /// Lines longer than this are handed over in pieces of this size.
    package static let maxLineLength = 16 << 10

    static let shared = ChildOutputReader()

    private let epoll: Int32
    private let children = Mutex<(next: UInt64, all: [UInt64: ChildStreams])>((1, [:]))
    private let thread = LazyThread(name: "titan-output")

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
    }

    /// Starts reading `pipes`' read ends; they are closed when they end.
    package static func start(_ pipes: ChildOutputPipes, name: String, handler: any ChildOutputHandler) {
        shared.add(pipes, handler: handler)
    }

    private func add(_ pipes: ChildOutputPipes, handler: any ChildOutputHandler) {
        let child = ChildStreams(streams: pipes.readEnds.map { Stream(fd: $0.fd, kind: $0.stream) }, handler: handler)
        let key = children.withLock { children -> UInt64 in
            defer { children.next += 1 }
            children.all[children.next] = child
            return children.next
        }
        thread.start { [self] in run() }
        var watched = 0
        for (index, stream) in pipes.readEnds.enumerated() {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
            event.data.u64 = key << 8 | UInt64(index)
            if epoll_ctl(epoll, EPOLL_CTL_ADD, stream.fd, &event) == 0 {
                watched += 1
            } else {
                // Not watchable (cannot happen for a fresh pipe): the child writes into the void.
                close(stream.fd)
            }
        }
        if watched == 0 { finish(key, child) }
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let ready = epoll_wait(epoll, &events, Int32(events.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            for event in events[0..<Int(ready)] {
                let key = event.data.u64 >> 8
                let index = Int(event.data.u64 & 0xFF)
                guard let child = children.withLock({ $0.all[key] }), child.isOpen(index) else { continue }
                let fd = child.streams[index].fd
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n <= 0 {
                    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
                    child.end(index)
                    close(fd)
                    if child.allClosed { finish(key, child) }
                    continue
                }
                chunk.withUnsafeBytes { child.deliver(UnsafeRawBufferPointer(rebasing: $0[0..<n]), from: index) }
            }
        }
    }

    private func finish(_ key: UInt64, _ child: ChildStreams) {
        children.withLock { _ = $0.all.removeValue(forKey: key) }
        child.handler.closed()
    }
}

private struct Stream {
    var fd: Int32
    var kind: LogSource
    var partial: [UInt8] = []
    var records = LogRecordReader()
    var open = true
}

/// One child's streams. Its state is touched by the reader thread only (after `add` has
/// registered it, before any event for it can arrive), hence unchecked.
private final class ChildStreams: @unchecked Sendable {
    var streams: [Stream]
    let handler: any ChildOutputHandler

    init(streams: [Stream], handler: any ChildOutputHandler) {
        self.streams = streams
        self.handler = handler
    }

    var allClosed: Bool { streams.allSatisfy { !$0.open } }

    func isOpen(_ index: Int) -> Bool { index < streams.count && streams[index].open }

    func deliver(_ bytes: UnsafeRawBufferPointer, from index: Int) {
        if streams[index].kind == .log {
            for record in streams[index].records.feed(bytes) { handler.record(record) }
            return
        }
        let kind = streams[index].kind
        let maxLine = ChildOutputReader.maxLineLength
        var start = 0
        while start < bytes.count {
            guard let found = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) else {
                streams[index].partial.append(contentsOf: bytes[start...])
                while streams[index].partial.count >= maxLine {
                    streams[index].partial.withUnsafeBytes { handler.line(UnsafeRawBufferPointer(rebasing: $0[0..<maxLine]), stream: kind) }
                    streams[index].partial.removeFirst(maxLine)
                }
                return
            }
            let newline = UnsafeRawPointer(found) - bytes.baseAddress!
            if streams[index].partial.isEmpty {
                handler.line(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]), stream: kind)
            } else {
                streams[index].partial.append(contentsOf: bytes[start..<newline])
                streams[index].partial.withUnsafeBytes { handler.line($0, stream: kind) }
                streams[index].partial.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
    }

    /// The stream reached its end: what is left of a last line without a newline goes out.
    func end(_ index: Int) {
        if !streams[index].partial.isEmpty {
            streams[index].partial.withUnsafeBytes { handler.line($0, stream: streams[index].kind) }
            streams[index].partial = []
        }
        streams[index].open = false
    }
}
