import Glibc

/// A per-process log file that rotates by size: `name.log` is renamed `name.log.1` when the
/// next line would take it past ``LogRotation/maxFileSize`` (older files move up by one, the
/// oldest beyond ``LogRotation/keep`` is deleted) and a new `name.log` begins.
///
/// Used from the manager's log thread only; writes are buffered and go out per batch.
final class RotatingLogFile {
    let path: String
    private let rotation: LogRotation
    private var fd: Int32
    private var size: Int
    private var buffer: [UInt8] = []

    init?(path: String, rotation: LogRotation) {
        self.path = path
        self.rotation = rotation
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        var status = stat()
        size = fstat(fd, &status) == 0 ? Int(status.st_size) : 0
    }

    deinit {
        flush()
        if fd >= 0 { close(fd) }
    }

    /// Appends `line` (which ends with a newline), rotating first if it would not fit.
    func append(_ line: [UInt8]) {
        let pending = size + buffer.count
        if pending > 0, pending + line.count > rotation.maxFileSize {
            flush()
            rotate()
        }
        buffer.append(contentsOf: line)
        if buffer.count >= 64 << 10 { flush() }
    }

    /// Writes what is buffered.
    func flush() {
        guard fd >= 0, !buffer.isEmpty else { return }
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, buffer.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            offset += n
        }
        size += offset
        buffer.removeAll(keepingCapacity: true)
    }

    private func rotate() {
        close(fd)
        if rotation.keep == 0 {
            unlink(path)
        } else {
            // rename replaces its target: moving .keep-1 onto .keep drops the oldest.
            for index in stride(from: rotation.keep, to: 1, by: -1) {
                rename("\(path).\(index - 1)", "\(path).\(index)")
            }
            rename(path, "\(path).1")
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0o644)
        size = 0
    }
}

/// `2026-05-01T12:00:00.123Z`, without Foundation's formatters (one line at a time, fast).
func timestampText(_ nanoseconds: Int64) -> String {
    var seconds = time_t(nanoseconds / 1_000_000_000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func pad(_ value: Int32, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    let millis = Int32((nanoseconds % 1_000_000_000) / 1_000_000)
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(millis, 3))Z"
}
