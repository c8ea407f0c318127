/// The textual forms of a type that manifests and the dispatch table compare.
package enum TypeText {
    /// `text` without whitespace, with `Void` written `()`: the form in canonical text.
    package static func normalized(_ text: String) -> String {
        let compact = String(text.unicodeScalars.filter { !$0.properties.isWhitespace })
        return compact == "Void" || compact == "Swift.Void" ? "()" : compact
    }

    /// ``normalized(_:)`` without module or outer-type qualifiers (`Swift.Int` → `Int`,
    /// `[Swift.String:M.Box.Item]` → `[String:Item]`), so that a type as spelled in source and
    /// as printed by the demangler compare equal.
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
        return result + identifier
    }
}
