import CTitan
import Glibc
import Synchronization
import TitanCore

/// A child's standard error as its parent reads it: forwarded to the parent's own standard
/// error as it arrives, with the last few kilobytes kept so that an exit can say why — a
/// Swift trap prints "Fatal error: ..." there just before the process dies.
///
/// The pipe is read on the shared ``PollLoop`` until every writer has closed it (the child and
/// anything it started that inherited it); ``drain()`` reads what is buffered now, which the
/// exit path does once the child has been reaped, so nothing the child wrote is missed.
package final class OutputTail: Sendable {
    /// How many of the latest bytes are kept.
    package static let capacity = 8192

    private struct State {
        var fd: Int32
        var kept: [UInt8] = []
        /// The line being written, until its newline.
        var line: [UInt8] = []
        /// The last complete line with a trap's "Fatal error", which a long backtrace after it
        /// must not push out of ``kept``.
        var fatal: String?
    }

    private let state: Mutex<State>
    private let forwardTo: Int32

    private init(fd: Int32, forwardTo: Int32) {
        state = Mutex(State(fd: fd))
        self.forwardTo = forwardTo
    }

    deinit {
        let fd = state.withLock { $0.fd }
        if fd >= 0 { close(fd) }
    }

    /// A pipe whose write end the child gets as its standard error; the tail reads the other
    /// end once ``start()`` is called, forwarding to `forwardTo` (this process's standard error).
    package static func make(forwardTo: Int32 = 2) throws(SpawnFailure) -> (tail: OutputTail, childEnd: Int32) {
        var fds: [Int32] = [-1, -1]
        guard titan_pipe_cloexec(&fds) == 0 else { throw SpawnFailure(executable: "pipe", errno: errno) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (OutputTail(fd: fds[0], forwardTo: forwardTo), fds[1])
    }

    /// Starts reading on the poll loop, until every writer has closed the pipe.
    package func start() {
        let fd = state.withLock { $0.fd }
        guard fd >= 0 else { return }
        PollLoop.shared.watch(fd) { [self] _ in drain() }
    }

    /// Reads everything buffered in the pipe now, without waiting; false once the pipe has
    /// ended (then it is closed).
    @discardableResult
    package func drain() -> Bool {
        state.withLock { state -> Bool in
            guard state.fd >= 0 else { return false }
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(state.fd, &chunk, chunk.count)
                if n > 0 {
                    forward(chunk[0..<n])
                    state.kept += chunk[0..<n]
                    Self.scanLines(chunk[0..<n], into: &state)
                    if state.kept.count > Self.capacity { state.kept.removeFirst(state.kept.count - Self.capacity) }
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return true }
                close(state.fd)
                state.fd = -1
                return false
            }
        }
    }

    private func forward(_ bytes: ArraySlice<UInt8>) {
        guard forwardTo >= 0 else { return }
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes[offset...].withUnsafeBytes { write(forwardTo, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }

    private static let marker = Array("Fatal error".utf8)

    private static func scanLines(_ bytes: ArraySlice<UInt8>, into state: inout State) {
        for byte in bytes {
            guard byte == 10 else {
                if state.line.count < 4096 { state.line.append(byte) }
                continue
            }
            if state.line.count >= marker.count, (0...(state.line.count - marker.count)).contains(where: { state.line[$0..<($0 + marker.count)].elementsEqual(marker) }) {
                state.fatal = String(decoding: state.line, as: UTF8.self)
            }
            state.line.removeAll(keepingCapacity: true)
        }
    }

    /// The kept bytes as text.
    package var text: String {
        String(decoding: state.withLock { $0.kept }, as: UTF8.self)
    }

    /// Why the child ended, as far as its last output says: the last "Fatal error" line of a
    /// Swift trap when there is one, else its last lines; nil if it wrote nothing.
    package var summary: String? {
        let (kept, fatal) = state.withLock { ($0.kept, $0.fatal) }
        if let fatal { return Self.summary(of: fatal) }
        return Self.summary(of: String(decoding: kept, as: UTF8.self))
    }

    /// The summary of `text` (see ``summary``).
    package static func summary(of text: String, limit: Int = 500) -> String? {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: " \t\r") }.filter { !$0.isEmpty }
        if let fatal = lines.last(where: { $0.contains("Fatal error") }) {
            return String(fatal.prefix(limit))
        }
        guard !lines.isEmpty else { return nil }
        return String(lines.suffix(3).joined(separator: "\n").suffix(limit))
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = self
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
