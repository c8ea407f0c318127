/// The textual forms of a type that manifests and the dispatch table compare.
package enum TypeText {
    /// `text` without whitespace, with `Void` written `()` and the standard library's
    /// generic spellings sugared (`Optional<Int>` → `Int?`, `Array<T>` → `[T]`,
    /// `Dictionary<K, V>` → `[K:V]`): the form in canonical text, so that the two spellings
    /// of one type give one interface hash.
    package static func normalized(_ text: String) -> String {
        let compact = String(text.unicodeScalars.filter { !$0.properties.isWhitespace })
        return compact == "Void" || compact == "Swift.Void" ? "()" : sugared(compact)
    }

    /// ``normalized(_:)`` without module or outer-type qualifiers (`Swift.Int` → `Int`,
    /// `[Swift.String:M.Box.Item]` → `[String:Item]`), so that a type as spelled in source and
    /// as printed by the demangler (`Swift.Optional<Swift.Int>`) compare equal.
    package static func unqualified(_ text: String) -> String {
        var result = ""
        var identifier = ""
        for character in normalized(text) {
            if character == "_" || character.isLetter || character.isNumber {
                identifier.append(character)
            } else if character == "." && !identifier.isEmpty {
                identifier = ""   // a qualifier: drop it
            } else {
                result += identifier
                identifier = ""
                result.append(character)
            }
        }
        return sugared(result + identifier)
    }

    /// `text` with `Optional<T>`, `Array<T>` and `Dictionary<K,V>` written with sugar, at any
    /// depth. Qualified names (`Swift.Optional<T>`) are left alone.
    static func sugared(_ text: String) -> String {
        let characters = Array(text)
        var result = ""
        var index = 0
        while index < characters.count {
            guard let (name, open) = genericName(in: characters, at: index), let close = closingBracket(in: characters, from: open) else {
                result.append(characters[index])
                index += 1
                continue
            }
            let arguments = splitArguments(Array(characters[(open + 1)..<close])).map(sugared)
            switch (name, arguments.count) {
            case ("Optional", 1):
                let wrapped = arguments[0]
                result += wrapped.contains("->") || wrapped.contains("&") ? "(\(wrapped))?" : wrapped + "?"
            case ("Array", 1):
                result += "[\(arguments[0])]"
            case ("Dictionary", 2):
                result += "[\(arguments[0]):\(arguments[1])]"
            default:
                result += String(characters[index...close])
            }
            index = close + 1
        }
        return result
    }

    /// `Optional`, `Array` or `Dictionary` starting at `index` as a whole identifier
    /// followed by `<`, and the position of the `<`.
    private static func genericName(in characters: [Character], at index: Int) -> (String, Int)? {
        if index > 0, characters[index - 1] == "." || characters[index - 1] == "_" || characters[index - 1].isLetter || characters[index - 1].isNumber {
            return nil
        }
        for name in ["Optional", "Array", "Dictionary"] {
            let end = index + name.count
            if end < characters.count, characters[end] == "<", String(characters[index..<end]) == name { return (name, end) }
        }
        return nil
    }

    /// The `>` matching the `<` at `open` (the `>` of `->` is not a bracket).
    private static func closingBracket(in characters: [Character], from open: Int) -> Int? {
        var depth = 0
        for index in open..<characters.count {
            switch characters[index] {
            case "<", "(", "[": depth += 1
            case ")", "]": depth -= 1
            case ">" where index > 0 && characters[index - 1] == "-": break
            case ">":
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }

    /// Generic arguments split at their top-level commas.
    private static func splitArguments(_ characters: [Character]) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for (index, character) in characters.enumerated() {
            switch character {
            case "<", "(", "[": depth += 1
            case ")", "]": depth -= 1
            case ">" where index > 0 && characters[index - 1] == "-": break
            case ">": depth -= 1
            case "," where depth == 0:
                parts.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        parts.append(current)
        return parts
    }
}
