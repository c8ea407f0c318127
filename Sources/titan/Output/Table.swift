/// Columns aligned for a terminal; colour codes do not count toward a cell's width.
struct Table {
    enum Alignment { case left, right }

    let headers: [String]
    let alignments: [Alignment]
    var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func add(_ row: [String]) {
        rows.append(row)
    }

    func render(_ terminal: Terminal) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], Self.visibleWidth(cell))
            }
        }
        var lines = [line(headers.map { terminal.bold($0) }, widths: widths)]
        lines += rows.map { line($0, widths: widths) }
        return lines.joined(separator: "\n")
    }

    private func line(_ cells: [String], widths: [Int]) -> String {
        cells.enumerated().map { index, cell in
            let padding = String(repeating: " ", count: max(0, widths[index] - Self.visibleWidth(cell)))
            return alignments[index] == .right ? padding + cell : cell + padding
        }.joined(separator: "  ").trimmingTrailingSpaces()
    }

    /// Characters a terminal shows: escape sequences take no room.
    static func visibleWidth(_ text: String) -> Int {
        var count = 0
        var inEscape = false
        for character in text {
            if inEscape {
                if character.isLetter { inEscape = false }
            } else if character == "\u{1B}" {
                inEscape = true
            } else {
                count += 1
            }
        }
        return count
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
