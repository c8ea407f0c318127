/// A key pattern in which `*` stands for any run of characters (none included) and `?` for
/// exactly one: `user:*`, `order:??-*`. Everything else matches itself.
public struct GlobPattern: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let characters: [Character]

    /// A pattern from its text.
    public init(_ pattern: String) {
        self.pattern = pattern
        characters = Array(pattern)
    }

    /// A pattern from a literal.
    public init(stringLiteral value: String) { self.init(value) }

    /// Whether `text` matches the whole pattern.
    public func matches(_ text: String) -> Bool {
        let text = Array(text)
        var t = 0
        var p = 0
        // The last `*` seen and the text position it was tried at, for backtracking.
        var star: (pattern: Int, text: Int)?
        while t < text.count {
            if p < characters.count, characters[p] == "?" || characters[p] == text[t] && characters[p] != "*" {
                t += 1
                p += 1
            } else if p < characters.count, characters[p] == "*" {
                star = (p, t)
                p += 1
            } else if let last = star {
                // Let the last `*` take one more character and try again.
                p = last.pattern + 1
                t = last.text + 1
                star = (last.pattern, last.text + 1)
            } else {
                return false
            }
        }
        while p < characters.count, characters[p] == "*" { p += 1 }
        return p == characters.count
    }

    /// A readable form, for logs and messages.
    public var description: String { pattern }
}
