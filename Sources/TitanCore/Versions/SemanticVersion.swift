/// A version number as SemVer 2.0.0 defines it: `major.minor.patch`, optional prerelease
/// identifiers after `-`, optional build metadata after `+` (`1.4.0-rc.2+linux.x86`).
///
/// Versions order by SemVer precedence: numbers compare numerically, a prerelease comes
/// before its release (`1.0.0-rc.1 < 1.0.0`), and prerelease identifiers compare one by one,
/// numeric ones numerically and below alphanumeric ones, ASCII order otherwise, a shorter list
/// first when one is a prefix of the other.
///
/// Build metadata takes no part in precedence, and so none in `==` and hashing either:
/// `1.0.0+a == 1.0.0+b`, which keeps `==` consistent with `<`. It is kept, and printed by
/// ``description``. A version encodes (`Codable`) as its ``description``.
public struct SemanticVersion: Sendable, Hashable, Comparable, Codable, LosslessStringConvertible {
    /// The major version: raised for changes that break users.
    public var major: Int
    /// The minor version: raised for compatible additions.
    public var minor: Int
    /// The patch version: raised for compatible fixes.
    public var patch: Int
    /// The dot-separated identifiers after `-` (`["rc", "2"]` for `1.0.0-rc.2`); empty for a release.
    public var prerelease: [String]
    /// The dot-separated identifiers after `+`; ignored by ordering, `==` and hashing.
    public var build: [String]

    /// The version `major.minor.patch`, with `prerelease` and `build` identifiers.
    ///
    /// The values are taken as given: numbers should be non-negative and identifiers valid
    /// SemVer identifiers, or ``description`` will not parse back.
    public init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: [String] = [], build: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// The version written in `text`, strictly as SemVer 2.0.0 (`1.2.3`, `1.2.3-beta.1+exp.sha`),
    /// optionally preceded by `v`.
    ///
    /// - Throws: ``VersionError/Code/invalidVersion`` when a number is missing, is not a
    ///   number, has a leading zero or does not fit an `Int`; when there are not exactly three
    ///   numbers; when the text has whitespace; when an identifier is empty or has a character other than `[0-9A-Za-z-]`;
    ///   or when a numeric prerelease identifier has a leading zero.
    public init(parsing text: String) throws(VersionError) {
        do throws(VersionSyntaxProblem) {
            guard !text.contains(where: \.isWhitespace) else { throw VersionSyntaxProblem("a version has no whitespace") }
            let parts = try Self.split(text[...])
            guard !parts.core.isEmpty else { throw VersionSyntaxProblem("there is no version number") }
            let numbers = parts.core.split(separator: ".", omittingEmptySubsequences: false)
            guard numbers.count == 3 else {
                throw VersionSyntaxProblem("expected major.minor.patch, found \(numbers.count) number\(numbers.count == 1 ? "" : "s")")
            }
            self.init(
                try Self.number(numbers[0], "major"), try Self.number(numbers[1], "minor"), try Self.number(numbers[2], "patch"),
                prerelease: parts.prerelease, build: parts.build
            )
        } catch {
            throw .invalidVersion(text, error)
        }
    }

    /// The version written in `description`, or `nil` when ``init(parsing:)`` would throw.
    public init?(_ description: String) {
        try? self.init(parsing: description)
    }

    /// The version as SemVer text, with prerelease and build: `1.4.0-rc.2+linux`.
    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    /// Whether the version has prerelease identifiers (`1.0.0-beta`).
    public var isPrerelease: Bool { !prerelease.isEmpty }

    /// Whether `a` and `b` have the same precedence: equal numbers and prerelease; build ignored.
    public static func == (a: SemanticVersion, b: SemanticVersion) -> Bool {
        a.major == b.major && a.minor == b.minor && a.patch == b.patch && a.prerelease == b.prerelease
    }

    /// Hashes what `==` compares: the numbers and the prerelease, not the build.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }

    /// Whether `a` precedes `b` by SemVer 2.0.0 precedence.
    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if a.major != b.major { return a.major < b.major }
        if a.minor != b.minor { return a.minor < b.minor }
        if a.patch != b.patch { return a.patch < b.patch }
        // A release ranks above every prerelease of the same numbers.
        if a.prerelease.isEmpty || b.prerelease.isEmpty { return !a.prerelease.isEmpty && b.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            return identifierPrecedes(x, y)
        }
        return a.prerelease.count < b.prerelease.count
    }

    /// Decodes a version from its text.
    ///
    /// - Throws: `DecodingError.dataCorrupted` when the text is not a version.
    public init(from decoder: any Decoder) throws {
        self = try VersionError.decodeText(from: decoder) { (text) throws(VersionError) in try Self(parsing: text) }
    }

    /// Encodes the version as its ``description``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Two different prerelease identifiers in precedence order: numeric ones by value (without
    /// leading zeros a longer one is larger, so no conversion can overflow), numeric below
    /// alphanumeric, alphanumeric ones by ASCII.
    private static func identifierPrecedes(_ x: String, _ y: String) -> Bool {
        switch (isNumeric(x), isNumeric(y)) {
        case (true, true): x.utf8.count != y.utf8.count ? x.utf8.count < y.utf8.count : x.utf8.lexicographicallyPrecedes(y.utf8)
        case (true, false): true
        case (false, true): false
        case (false, false): x.utf8.lexicographicallyPrecedes(y.utf8)
        }
    }
}

// The lexical pieces of version text, shared with ``VersionRange``'s parser, which reports the
// same problems under its own error code.
extension SemanticVersion {
    /// `text` cut at the first `+` (build) and then at the first `-` (prerelease; the numbers
    /// hold no `-`), with the identifiers of both checked. A leading `v` is dropped.
    static func split(_ text: Substring) throws(VersionSyntaxProblem) -> (core: Substring, prerelease: [String], build: [String]) {
        var rest = text.first == "v" ? text.dropFirst() : text
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            build = try identifiers(rest[rest.index(after: plus)...], "build metadata")
            rest = rest[..<plus]
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            prerelease = try identifiers(rest[rest.index(after: dash)...], "prerelease")
            rest = rest[..<dash]
        }
        return (rest, prerelease, build)
    }

    /// The number in `text`, the `name` (major, minor, patch) part of a version.
    static func number(_ text: Substring, _ name: String) throws(VersionSyntaxProblem) -> Int {
        guard !text.isEmpty else { throw VersionSyntaxProblem("the \(name) version is empty") }
        guard isNumeric(text) else { throw VersionSyntaxProblem("the \(name) version \"\(text)\" is not a number") }
        guard text.count == 1 || text.first != "0" else { throw VersionSyntaxProblem("the \(name) version \"\(text)\" has a leading zero") }
        guard let value = Int(text) else { throw VersionSyntaxProblem("the \(name) version \"\(text)\" is too large") }
        return value
    }

    /// The dot-separated identifiers in `text`, the `kind` (prerelease or build metadata) of a
    /// version. Numeric prerelease identifiers may not have leading zeros; build ones may.
    private static func identifiers(_ text: Substring, _ kind: String) throws(VersionSyntaxProblem) -> [String] {
        guard !text.isEmpty else { throw VersionSyntaxProblem("the \(kind) after \"\(kind == "prerelease" ? "-" : "+")\" is empty") }
        var result: [String] = []
        for (index, identifier) in text.split(separator: ".", omittingEmptySubsequences: false).enumerated() {
            let place = "\(kind) identifier \(index + 1)"
            guard !identifier.isEmpty else { throw VersionSyntaxProblem("\(place) is empty") }
            if let bad = identifier.unicodeScalars.first(where: { !isIdentifierCharacter($0) }) {
                throw VersionSyntaxProblem("\(place) \"\(identifier)\" has the character \"\(bad)\"; only 0-9, A-Z, a-z and - are allowed")
            }
            if kind == "prerelease", identifier.count > 1, identifier.first == "0", isNumeric(identifier) {
                throw VersionSyntaxProblem("\(place) \"\(identifier)\" is numeric with a leading zero")
            }
            result.append(String(identifier))
        }
        return result
    }

    private static func isIdentifierCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "0"..."9", "a"..."z", "A"..."Z", "-": true
        default: false
        }
    }

    private static func isNumeric(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
