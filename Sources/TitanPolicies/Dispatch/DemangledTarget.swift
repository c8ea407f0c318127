/// A distributed call target, read from the demangled name of its distributed thunk.
///
/// The wire carries a target as the thunk's mangled name (`$s4main4CalcC3addyS2i_SitYaKFTE`);
/// the runtime demangles it once per identifier (`swift_demangle`) and reads it with this
/// type to find the method's entry in a ``ServiceManifest``:
///
/// ```
/// distributed thunk main.Calc.put(key: Swift.String, value: [Swift.Int]) async throws -> ()
/// ```
public struct DemangledTarget: Sendable, Hashable {
    /// The base name (`put`).
    public var name: String
    /// The argument labels, nil for `_`.
    public var labels: [String?]
    /// The parameter types as the demangler prints them.
    public var parameterTypes: [String]
    /// The result type as the demangler prints it (`()` for none).
    public var resultType: String
    /// Whether the method is generic; generic methods have no dispatch-table entry.
    public var isGeneric: Bool

    /// The Swift name with labels, `put(key:value:)`, as in ``MethodDescriptor/key``.
    public var key: String {
        name + "(" + labels.map { ($0 ?? "_") + ":" }.joined() + ")"
    }

    /// Reads a demangled thunk name; nil if `text` is not one.
    public init?(_ text: String) {
        let prefix = "distributed thunk "
        guard text.hasPrefix(prefix) else { return nil }
        let chars = Array(text.dropFirst(prefix.count))
        // The parameter list is the first parenthesis outside generic brackets.
        var depth = 0
        var open: Int?
        for i in chars.indices {
            if chars[i] == "(" && depth == 0 { open = i; break }
            depth += Self.depthChange(chars, at: i)
        }
        guard let open, let close = Self.matching(chars, from: open) else { return nil }
        var qualified = String(chars[..<open])
        isGeneric = qualified.hasSuffix(">")
        if isGeneric, let bracket = Self.genericStart(qualified) { qualified = String(qualified[..<bracket]) }
        guard let base = qualified.split(separator: ".").last else { return nil }
        name = String(base)

        var labels: [String?] = []
        var types: [String] = []
        for part in Self.splitTopLevel(chars[(open + 1)..<close], on: ",") where !part.isEmpty {
            let pieces = Self.splitTopLevel(part[...], on: ":", limit: 1)
            let trimmed = pieces.map { String($0).trimmingSpaces }
            if pieces.count == 2 {
                labels.append(trimmed[0])
                types.append(trimmed[1])
            } else {
                labels.append(nil)
                types.append(trimmed[0])
            }
        }
        self.labels = labels
        parameterTypes = types

        let rest = chars[(close + 1)...]
        if let arrow = rest.indices.first(where: { rest[$0] == "-" && $0 + 1 < chars.count && chars[$0 + 1] == ">" }) {
            resultType = String(chars[(arrow + 2)...]).trimmingSpaces
        } else {
            resultType = "()"
        }
    }

    private static func matching(_ chars: [Character], from open: Int) -> Int? {
        var depth = 0
        for i in open..<chars.count {
            depth += depthChange(chars[...], at: i)
            if depth == 0 { return i }
        }
        return nil
    }

    /// +1 for an opening bracket, -1 for a closing one; the `>` of `->` is not a bracket.
    private static func depthChange(_ chars: ArraySlice<Character>, at i: Int) -> Int {
        switch chars[i] {
        case "(", "[", "<": 1
        case ")", "]": -1
        case ">": i > chars.startIndex && chars[i - 1] == "-" ? 0 : -1
        default: 0
        }
    }

    private static func depthChange(_ chars: [Character], at i: Int) -> Int {
        depthChange(chars[...], at: i)
    }

    private static func genericStart(_ text: String) -> String.Index? {
        var depth = 0
        var index = text.endIndex
        while index > text.startIndex {
            index = text.index(before: index)
            if text[index] == ">" { depth += 1 }
            if text[index] == "<" {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    private static func splitTopLevel(_ chars: ArraySlice<Character>, on separator: Character, limit: Int = .max) -> [ArraySlice<Character>] {
        var parts: [ArraySlice<Character>] = []
        var depth = 0
        var start = chars.startIndex
        for i in chars.indices {
            depth += depthChange(chars, at: i)
            if chars[i] == separator && depth == 0 && parts.count < limit {
                parts.append(chars[start..<i])
                start = i + 1
            }
        }
        parts.append(chars[start...])
        return parts
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
