/// Splits bytes read from a socket into lines, keeping at most `limit` bytes of an
/// unfinished one (a peer that never sends a newline cannot exhaust memory).
package struct LineBuffer: Sendable {
    /// A line longer than the limit.
    package struct Overflow: Error {}

    private var pending: [UInt8] = []
    private let limit: Int

    package init(limit: Int = 1 << 20) {
        self.limit = limit
    }

    /// Adds `bytes` and returns the lines they complete, without their newlines.
    package mutating func append(_ bytes: some Collection<UInt8>) throws(Overflow) -> [[UInt8]] {
        pending.append(contentsOf: bytes)
        var lines: [[UInt8]] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(pending[start..<newline])
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            lines.append(line)
            start = newline + 1
        }
        pending.removeSubrange(pending.startIndex..<start)
        guard pending.count <= limit else { throw Overflow() }
        return lines
    }
}
