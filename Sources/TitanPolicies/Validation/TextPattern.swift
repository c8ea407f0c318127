/// A shape a string must have, checked without regular expressions.
public struct TextPattern: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Sendable, Hashable {
        case email, uuid, alphanumeric, digits, hexadecimal, identifier
        case prefix(String), suffix(String), contains(String), oneOf([String])
    }

    private let kind: Kind

    /// `local@domain.tld`: one `@`, a non-empty local part, a domain with a dot that neither
    /// starts nor ends it, no spaces.
    public static let email = TextPattern(kind: .email)
    /// A UUID in its 8-4-4-4-12 hexadecimal form.
    public static let uuid = TextPattern(kind: .uuid)
    /// One or more ASCII letters and digits.
    public static let alphanumeric = TextPattern(kind: .alphanumeric)
    /// One or more ASCII digits.
    public static let digits = TextPattern(kind: .digits)
    /// One or more hexadecimal digits.
    public static let hexadecimal = TextPattern(kind: .hexadecimal)
    /// An ASCII letter or `_`, then letters, digits or `_`.
    public static let identifier = TextPattern(kind: .identifier)
    /// Starts with `text`.
    public static func prefix(_ text: String) -> TextPattern { TextPattern(kind: .prefix(text)) }
    /// Ends with `text`.
    public static func suffix(_ text: String) -> TextPattern { TextPattern(kind: .suffix(text)) }
    /// Contains `text`.
    public static func contains(_ text: String) -> TextPattern { TextPattern(kind: .contains(text)) }
    /// Is one of `choices`.
    public static func oneOf(_ choices: [String]) -> TextPattern { TextPattern(kind: .oneOf(choices)) }

    /// Whether `text` has this shape.
    public func matches(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        switch kind {
        case .email:
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !text.contains(" ") else { return false }
            let domain = parts[1]
            return domain.contains(".") && domain.first != "." && domain.last != "."
        case .uuid:
            let groups = text.split(separator: "-", omittingEmptySubsequences: false)
            return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.unicodeScalars.allSatisfy(Self.isHex) }
        case .alphanumeric:
            return !scalars.isEmpty && scalars.allSatisfy { Self.isLetter($0) || Self.isDigit($0) }
        case .digits:
            return !scalars.isEmpty && scalars.allSatisfy(Self.isDigit)
        case .hexadecimal:
            return !scalars.isEmpty && scalars.allSatisfy(Self.isHex)
        case .identifier:
            guard let first = scalars.first, Self.isLetter(first) || first == "_" else { return false }
            return scalars.allSatisfy { Self.isLetter($0) || Self.isDigit($0) || $0 == "_" }
        case .prefix(let prefix):
            return text.hasPrefix(prefix)
        case .suffix(let suffix):
            return text.hasSuffix(suffix)
        case .contains(let part):
            return text.contains(part)
        case .oneOf(let choices):
            return choices.contains(text)
        }
    }

    /// What a failing value should have been, for a failure's reason ("an email address").
    public var expectation: String {
        switch kind {
        case .email: "an email address"
        case .uuid: "a UUID"
        case .alphanumeric: "letters and digits only"
        case .digits: "digits only"
        case .hexadecimal: "hexadecimal digits only"
        case .identifier: "an identifier (a letter or _, then letters, digits or _)"
        case .prefix(let prefix): "starting with \"\(prefix)\""
        case .suffix(let suffix): "ending with \"\(suffix)\""
        case .contains(let part): "containing \"\(part)\""
        case .oneOf(let choices): "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }

    /// A readable form, for logs and messages.
    public var description: String {
        switch kind {
        case .email: "email"
        case .uuid: "uuid"
        case .alphanumeric: "alphanumeric"
        case .digits: "digits"
        case .hexadecimal: "hexadecimal"
        case .identifier: "identifier"
        case .prefix(let prefix): "prefix(\(prefix))"
        case .suffix(let suffix): "suffix(\(suffix))"
        case .contains(let part): "contains(\(part))"
        case .oneOf(let choices): "oneOf(\(choices.joined(separator: ",")))"
        }
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) }
    private static func isHex(_ scalar: Unicode.Scalar) -> Bool { isDigit(scalar) || ("a"..."f").contains(scalar) || ("A"..."F").contains(scalar) }
}
