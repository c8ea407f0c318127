/// A policy's `key:` (or tag) as written: a bare argument name (`"userID"`), or a template
/// whose `{name}`s are arguments (`"user:{id}"`). The macro reads it to check the names and
/// generate the code that fills it in.
package struct KeyTemplate: Sendable, Hashable {
    package enum Segment: Sendable, Hashable {
        case literal(String)
        case argument(String)
    }

    package enum ParseError: Error, Sendable, Hashable {
        case unclosedBrace
        case emptyPlaceholder
    }

    package let segments: [Segment]

    /// The argument names it refers to, in order.
    package var arguments: [String] {
        segments.compactMap { if case .argument(let name) = $0 { name } else { nil } }
    }

    /// Reads `text`: with no `{`, the whole text names one argument; otherwise literal text
    /// with `{name}` placeholders.
    package init(parsing text: String) throws(ParseError) {
        guard text.contains("{") else {
            segments = [.argument(text)]
            return
        }
        var segments: [Segment] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { throw .unclosedBrace }
            let name = String(rest[rest.index(after: open)..<close])
            guard !name.isEmpty else { throw .emptyPlaceholder }
            if !literal.isEmpty { segments.append(.literal(literal)) }
            literal = ""
            segments.append(.argument(name))
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
    }
}
