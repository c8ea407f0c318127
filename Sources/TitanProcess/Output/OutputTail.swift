import Glibc

/// The last of a child's standard error, kept so that its exit can say why: a Swift trap
/// prints "Fatal error: ..." there just before the process dies.
///
/// Fed line by line by the child's ``ChildOutputReader``; keeps the last ``capacity`` bytes,
/// and the last line with a trap's "Fatal error", which a long backtrace after it must not
/// push out.
package struct OutputTail: Sendable {
    /// How many of the latest bytes are kept.
    package static let capacity = 8192

    private var kept: [UInt8] = []
    private var fatal: String?

    package init() {}

    /// Keeps `line` (without its newline).
    package mutating func append(line: UnsafeRawBufferPointer) {
        if Self.contains(line, Self.marker) {
            fatal = String(decoding: UnsafeRawBufferPointer(rebasing: line.prefix(4096)), as: UTF8.self)
        }
        kept.append(contentsOf: line)
        kept.append(10)
        // Trimmed in steps rather than per line: a flood of short lines copies nothing per line.
        if kept.count > 2 * Self.capacity { kept.removeFirst(kept.count - Self.capacity) }
    }

    /// Why the child ended, as far as its last output says: the last "Fatal error" line of a
    /// Swift trap when there is one, else its last lines; nil if it wrote nothing.
    package var summary: String? {
        if let fatal { return Self.summary(of: fatal) }
        return Self.summary(of: String(decoding: kept.suffix(Self.capacity), as: UTF8.self))
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

    private static let marker = Array("Fatal error".utf8)

    private static func contains(_ bytes: UnsafeRawBufferPointer, _ pattern: [UInt8]) -> Bool {
        guard bytes.count >= pattern.count, let base = bytes.baseAddress else { return false }
        let last = bytes.count - pattern.count
        var offset = 0
        while offset <= last {
            guard let found = memchr(base + offset, Int32(pattern[0]), last - offset + 1) else { return false }
            let at = UnsafeRawPointer(found) - base
            if pattern.withUnsafeBytes({ memcmp(base + at, $0.baseAddress!, pattern.count) }) == 0 { return true }
            offset = at + 1
        }
        return false
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
