import TitanAdminAPI

/// One `distributed func` found in this executable's table of distributed functions (the
/// table the Swift runtime reads to run a remote call by name), described from its
/// demangled thunk name: `distributed thunk App.Calculator.divide(_: Swift.Int, by: Swift.Int) async throws -> Swift.Int`.
struct DistributedMethod: Sendable, Hashable {
    /// The thunk's mangled name: the target a remote call of the method carries.
    var mangledName: String
    /// The distributed actor type that declares it (`App.Calculator`).
    var owner: String
    /// Base name, parameters and result, for operators.
    var info: MethodInfo
    /// Whether the method has generic parameters (no JSON can name their types).
    var isGeneric: Bool

    /// Parses a demangled thunk name; nil for anything else.
    init?(mangledName: String, demangled: String) {
        let prefix = "distributed thunk "
        guard demangled.hasPrefix(prefix) else { return nil }
        let text = Substring(demangled.dropFirst(prefix.count))
        guard let open = Self.firstIndex(of: "(", atDepthZeroIn: text),
              let close = Self.matchingClose(in: text, from: open) else { return nil }
        var path = text[..<open]
        isGeneric = path.hasSuffix(">")
        if isGeneric, let genericStart = Self.firstIndex(of: "<", atDepthZeroIn: path) {
            path = path[..<genericStart]
        }
        guard let dot = path.lastIndex(of: ".") else { return nil }
        owner = String(path[..<dot])
        let base = String(path[path.index(after: dot)...])
        let parameters = Self.splitAtDepthZero(text[text.index(after: open)..<close]).map(Self.parameter)
        var result = "()"
        if let arrow = text[close...].firstRange(of: "-> ") {
            result = Self.readable(String(text[arrow.upperBound...]))
        }
        self.mangledName = mangledName
        let key = base + "(" + parameters.map { ($0.label ?? "_") + ":" }.joined() + ")"
        info = MethodInfo(name: key, parameters: parameters, result: result, invocable: false, note: nil)
    }

    /// `point: App.Point` or `Swift.Int`.
    private static func parameter(_ text: Substring) -> ParameterInfo {
        let trimmed = text.drop { $0 == " " }
        if let colon = trimmed.firstRange(of: ": "),
           trimmed[..<colon.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
           !trimmed[..<colon.lowerBound].isEmpty {
            let label = String(trimmed[..<colon.lowerBound])
            return ParameterInfo(label: label == "_" ? nil : label, type: readable(String(trimmed[colon.upperBound...])))
        }
        return ParameterInfo(label: nil, type: readable(String(trimmed)))
    }

    /// Drops the `Swift.` module prefix and writes `Optional<T>` as `T?`, as people write
    /// the standard library's types.
    static func readable(_ type: String) -> String {
        sugarOptionals(withoutSwiftPrefix(type))
    }

    private static func sugarOptionals(_ type: String) -> String {
        var text = type
        while let start = text.firstRange(of: "Optional<"),
              start.lowerBound == text.startIndex || !isIdentifier(text[text.index(before: start.lowerBound)]),
              let close = matchingClose(in: Substring(text), from: text.index(before: start.upperBound)) {
            let wrapped = String(text[start.upperBound..<close])
            let simple = !wrapped.contains(" ") || wrapped.hasPrefix("[") || wrapped.hasPrefix("(")
            text = String(text[..<start.lowerBound]) + (simple ? wrapped : "(\(wrapped))") + "?" + String(text[text.index(after: close)...])
        }
        return text
    }

    private static func isIdentifier(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "_" || c == "."
    }

    private static func withoutSwiftPrefix(_ type: String) -> String {
        var result = ""
        var rest = Substring(type)
        while let range = rest.firstRange(of: "Swift.") {
            let before = rest[..<range.lowerBound]
            result += before
            let previous = before.last ?? result.last
            if let previous, previous.isLetter || previous.isNumber || previous == "_" || previous == "." {
                result += "Swift."
            }
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    private static let opening: Set<Character> = ["(", "[", "<"]
    private static let closing: Set<Character> = [")", "]", ">"]

    private static func firstIndex(of character: Character, atDepthZeroIn text: Substring) -> Substring.Index? {
        var depth = 0
        for index in text.indices {
            let c = text[index]
            if c == character && depth == 0 { return index }
            if opening.contains(c) { depth += 1 } else if closing.contains(c) && !(c == ">" && text[..<index].hasSuffix("-")) { depth -= 1 }
        }
        return nil
    }

    private static func matchingClose(in text: Substring, from open: Substring.Index) -> Substring.Index? {
        var depth = 0
        for index in text[open...].indices {
            let c = text[index]
            if opening.contains(c) { depth += 1 }
            if closing.contains(c) && !(c == ">" && text[..<index].hasSuffix("-")) {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    private static func splitAtDepthZero(_ text: Substring) -> [Substring] {
        guard !text.isEmpty else { return [] }
        var parts: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for index in text.indices {
            let c = text[index]
            if opening.contains(c) { depth += 1 } else if closing.contains(c) && !(c == ">" && text[..<index].hasSuffix("-")) { depth -= 1 }
            if c == "," && depth == 0 {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
        }
        parts.append(text[start...])
        return parts
    }
}
