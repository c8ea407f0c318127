/// A set of ``SemanticVersion``s written as npm writes version ranges (node-semver's grammar
/// and meaning), as `^1.2`, `>=1.2.0 <2.0.0 || 3.x` or `1.2 - 2.3.4`.
///
/// A range is alternatives separated by `||`; a version is in the range when it satisfies
/// every comparator of one alternative. An alternative is either comparators separated by
/// spaces or one hyphen range `A - B`. Each comparator is one of:
///
/// | Form | Means |
/// |---|---|
/// | `1.2.3`, `=1.2.3` | exactly 1.2.3 (build metadata ignored) |
/// | `<1.2.3`, `<=1.2.3`, `>1.2.3`, `>=1.2.3` | compared by SemVer precedence |
/// | `*`, `x`, `""` | any version |
/// | `1`, `1.x`, `1.x.x`, `1.*` | `>=1.0.0 <2.0.0-0` |
/// | `1.2`, `1.2.x` | `>=1.2.0 <1.3.0-0` |
/// | `>1.2` / `>=1.2` / `<1.2` / `<=1.2` | `>=1.3.0` / `>=1.2.0` / `<1.2.0-0` / `<1.3.0-0` |
/// | `~1.2.3` / `~1.2` / `~1` | `>=1.2.3 <1.3.0-0` / `>=1.2.0 <1.3.0-0` / `>=1.0.0 <2.0.0-0` |
/// | `^1.2.3` / `^0.2.3` / `^0.0.3` | `>=1.2.3 <2.0.0-0` / `>=0.2.3 <0.3.0-0` / `>=0.0.3 <0.0.4-0` |
/// | `^1.2` / `^0.2` / `^0.0` / `^1` / `^0.x` | `>=1.2.0 <2.0.0-0` / `>=0.2.0 <0.3.0-0` / `>=0.0.0 <0.1.0-0` / `>=1.0.0 <2.0.0-0` / `>=0.0.0 <1.0.0-0` |
/// | `1.2 - 2.3.4` / `1.2.3 - 2.3` | `>=1.2.0 <=2.3.4` / `>=1.2.3 <2.4.0-0` |
///
/// An operator may be followed by spaces (`>= 1.2`), a version by a leading `v`, and `~>`
/// means `~`.
///
/// **Prereleases** follow node-semver's rule: a version with a prerelease (`1.3.0-beta`) is in
/// an alternative only when some comparator of that alternative names a prerelease of the same
/// `major.minor.patch`. So `^1.2.3` holds no prerelease at all, `*` and ``any`` hold only
/// releases, and `>=1.3.0-beta.1 <2` holds `1.3.0-beta.2` but not `1.4.0-beta`.
///
/// Stricter than node-semver: an empty alternative (`1.x ||`), a number after a wildcard
/// (`1.x.3`), and a prerelease on a partial version (`1.2-beta`) are errors. A range encodes
/// (`Codable`) as its ``description``; two ranges are equal when their text is.
public struct VersionRange: Sendable, Hashable, CustomStringConvertible, Codable {
    /// The text the range was parsed from, without surrounding whitespace.
    public let description: String
    /// The alternatives (`||`), each the comparators a version must all satisfy; an empty
    /// alternative has none and admits every release.
    private let alternatives: [[Comparator]]

    /// Every release version (`*`); a prerelease is in no range that does not name it.
    public static let any = VersionRange(description: "*", alternatives: [[]])

    /// The range written in `text` (see the grammar above); surrounding whitespace is dropped
    /// and empty text is ``any``.
    ///
    /// - Throws: ``VersionError/Code/invalidRange`` naming the comparator at fault: an
    ///   operator with no version or an unknown operator, a version that is not a (partial)
    ///   version, more than three numbers, a number with a leading zero or too large for an
    ///   `Int` (or whose next version is), an empty `||` alternative, or a ` - ` without one
    ///   version on each side.
    public init(parsing text: String) throws(VersionError) {
        let trimmed = Self.trimmed(text[...])
        do throws(VersionSyntaxProblem) {
            self.init(description: String(trimmed), alternatives: try Self.alternatives(in: trimmed))
        } catch {
            throw .invalidRange(text, error)
        }
    }

    private init(description: String, alternatives: [[Comparator]]) {
        self.description = description
        self.alternatives = alternatives
    }

    /// Whether `version` is in the range: it satisfies all comparators of some alternative, and,
    /// when it is a prerelease, that alternative names a prerelease of its `major.minor.patch`.
    public func contains(_ version: SemanticVersion) -> Bool {
        alternatives.contains { comparators in
            comparators.allSatisfy { $0.admits(version) }
                && (!version.isPrerelease || comparators.contains { $0.version.isPrerelease && $0.version.hasNumbers(of: version) })
        }
    }

    /// Whether `a` and `b` were parsed from the same text.
    public static func == (a: VersionRange, b: VersionRange) -> Bool {
        a.description == b.description
    }

    /// Hashes the range's text.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(description)
    }

    /// Decodes a range from its text.
    ///
    /// - Throws: `DecodingError.dataCorrupted` when the text is not a range.
    public init(from decoder: any Decoder) throws {
        self = try VersionError.decodeText(from: decoder) { (text) throws(VersionError) in try Self(parsing: text) }
    }

    /// Encodes the range as its ``description``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

// Parsing: every form is rewritten into plain comparators, exactly as node-semver desugars it.
extension VersionRange {
    /// One test a version must pass: an operator and the version it compares with.
    struct Comparator: Sendable {
        enum Operator: Sendable { case less, lessOrEqual, greater, greaterOrEqual, equal }

        var op: Operator
        var version: SemanticVersion

        func admits(_ candidate: SemanticVersion) -> Bool {
            switch op {
            case .less: candidate < version
            case .lessOrEqual: candidate <= version
            case .greater: candidate > version
            case .greaterOrEqual: candidate >= version
            case .equal: candidate == version
            }
        }
    }

    /// A version with some trailing numbers left open (`nil`): `1`, `1.2`, `1.x`, `*`.
    private struct Partial {
        var major: Int?
        var minor: Int?
        var patch: Int?
        var prerelease: [String]

        var isComplete: Bool { patch != nil }
    }

    private static func alternatives(in text: Substring) throws(VersionSyntaxProblem) -> [[Comparator]] {
        if text.isEmpty { return [[]] }
        let parts = text.split(separator: "||", omittingEmptySubsequences: false)
        var result: [[Comparator]] = []
        for (index, part) in parts.enumerated() {
            let alternative = trimmed(part)
            guard !alternative.isEmpty else {
                throw VersionSyntaxProblem("alternative \(index + 1) of \(parts.count) (separated by \"||\") is empty")
            }
            result.append(try comparators(in: alternative))
        }
        return result
    }

    private static func comparators(in alternative: Substring) throws(VersionSyntaxProblem) -> [Comparator] {
        let words = alternative.split(whereSeparator: \.isWhitespace)
        if words.count == 3, words[1] == "-" {
            return try hyphen(words[0], words[2])
        }
        guard !words.contains("-") else {
            throw VersionSyntaxProblem("in \"\(alternative)\", a hyphen range needs one version on each side of \" - \", as \"1.2 - 2.3.4\"")
        }
        var result: [Comparator] = []
        var index = 0
        while index < words.count {
            var word = String(words[index])
            // An operator written apart from its version (`>= 1.2`) belongs to the next word.
            if word.allSatisfy(isOperatorCharacter), index + 1 < words.count {
                index += 1
                word += words[index]
            }
            index += 1
            do throws(VersionSyntaxProblem) {
                result += try comparators(of: word[...])
            } catch {
                throw VersionSyntaxProblem("in the comparator \"\(word)\", \(error.what)")
            }
        }
        return result
    }

    /// The comparators one operator and (partial) version stand for.
    private static func comparators(of word: Substring) throws(VersionSyntaxProblem) -> [Comparator] {
        let op = word.prefix(while: isOperatorCharacter)
        let rest = word.dropFirst(op.count)
        guard ["", "=", "<", "<=", ">", ">=", "~", "~>", "^"].contains(op) else {
            throw VersionSyntaxProblem("\"\(op)\" is not an operator; use =, <, <=, >, >=, ~ or ^")
        }
        guard !rest.isEmpty else { throw VersionSyntaxProblem("the operator \"\(op)\" has no version after it") }
        let version = try partial(rest)
        switch op {
        case "~", "~>": return try tilde(version)
        case "^": return try caret(version)
        default: break
        }
        guard let major = version.major, let minor = version.minor, let patch = version.patch else {
            return try wildcard(op, version)
        }
        let exact = SemanticVersion(major, minor, patch, prerelease: version.prerelease)
        switch op {
        case "<": return [Comparator(op: .less, version: exact)]
        case "<=": return [Comparator(op: .lessOrEqual, version: exact)]
        case ">": return [Comparator(op: .greater, version: exact)]
        case ">=": return [Comparator(op: .greaterOrEqual, version: exact)]
        default: return [Comparator(op: .equal, version: exact)]
        }
    }

    /// `1.x`, `>1.2`, `<=1`, `*` and the like; the major is the only number that may be open.
    private static func wildcard(_ op: Substring, _ version: Partial) throws(VersionSyntaxProblem) -> [Comparator] {
        guard let major = version.major else {
            // Nothing is above or below every version.
            return op == "<" || op == ">" ? [.init(op: .less, version: SemanticVersion(0, 0, 0, prerelease: ["0"]))] : []
        }
        let minor = version.minor
        switch op {
        case ">":
            return [.atLeast(minor == nil ? SemanticVersion(try next(major), 0, 0) : SemanticVersion(major, try next(minor!), 0))]
        case ">=":
            return [.atLeast(SemanticVersion(major, minor ?? 0, 0))]
        case "<":
            return [.below(major, minor ?? 0, 0)]
        case "<=":
            return [try nextBound(major, minor)]
        default:
            return [.atLeast(SemanticVersion(major, minor ?? 0, 0)), try nextBound(major, minor)]
        }
    }

    private static func tilde(_ version: Partial) throws(VersionSyntaxProblem) -> [Comparator] {
        guard let major = version.major else { return [] }
        return [lowerBound(version), try nextBound(major, version.minor)]
    }

    private static func caret(_ version: Partial) throws(VersionSyntaxProblem) -> [Comparator] {
        guard let major = version.major else { return [] }
        // The first non-zero number given is the one that may not change.
        guard major == 0, let minor = version.minor else {
            return [lowerBound(version), try nextBound(major, nil)]
        }
        guard minor == 0, let patch = version.patch else {
            return [lowerBound(version), try nextBound(0, minor)]
        }
        return [lowerBound(version), .below(0, 0, try next(patch))]
    }

    private static func hyphen(_ from: Substring, _ to: Substring) throws(VersionSyntaxProblem) -> [Comparator] {
        var result: [Comparator] = []
        for (isFrom, word) in [(true, from), (false, to)] {
            do throws(VersionSyntaxProblem) {
                guard !word.contains(where: isOperatorCharacter) else {
                    throw VersionSyntaxProblem("the ends of a hyphen range take no operator")
                }
                let version = try partial(word)
                guard let major = version.major else { continue }
                if isFrom {
                    result.append(lowerBound(version))
                } else if let minor = version.minor, let patch = version.patch {
                    result.append(Comparator(op: .lessOrEqual, version: SemanticVersion(major, minor, patch, prerelease: version.prerelease)))
                } else {
                    result.append(try nextBound(major, version.minor))
                }
            } catch {
                throw VersionSyntaxProblem("in the hyphen range \"\(from) - \(to)\", at \"\(word)\", \(error.what)")
            }
        }
        return result
    }

    /// `>=` the partial version with its open numbers as 0.
    private static func lowerBound(_ version: Partial) -> Comparator {
        .atLeast(SemanticVersion(version.major ?? 0, version.minor ?? 0, version.patch ?? 0, prerelease: version.prerelease))
    }

    /// Below the next minor of `major.minor`, or the next major when `minor` is open, excluding
    /// that version's prereleases (`<1.3.0-0`).
    private static func nextBound(_ major: Int, _ minor: Int?) throws(VersionSyntaxProblem) -> Comparator {
        guard let minor else { return .below(try next(major), 0, 0) }
        return .below(major, try next(minor), 0)
    }

    private static func next(_ number: Int) throws(VersionSyntaxProblem) -> Int {
        let (result, overflow) = number.addingReportingOverflow(1)
        guard !overflow else { throw VersionSyntaxProblem("\(number) is too large to have a next version") }
        return result
    }

    /// `text` as a version whose trailing numbers may be `x`, `X`, `*` or missing.
    private static func partial(_ text: Substring) throws(VersionSyntaxProblem) -> Partial {
        let parts = try SemanticVersion.split(text)
        guard !parts.core.isEmpty else { throw VersionSyntaxProblem("there is no version number") }
        let numbers = parts.core.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count <= 3 else { throw VersionSyntaxProblem("expected at most major.minor.patch, found \(numbers.count) numbers") }
        var values: [Int?] = []
        for (number, name) in zip(numbers, ["major", "minor", "patch"]) {
            if ["x", "X", "*"].contains(number) {
                values.append(nil)
            } else if values.contains(nil) {
                throw VersionSyntaxProblem("the \(name) version \"\(number)\" follows a wildcard")
            } else {
                values.append(try SemanticVersion.number(number, name))
            }
        }
        values += Array(repeating: nil, count: 3 - values.count)
        let version = Partial(major: values[0], minor: values[1], patch: values[2], prerelease: parts.prerelease)
        guard version.isComplete || (parts.prerelease.isEmpty && parts.build.isEmpty) else {
            throw VersionSyntaxProblem("a prerelease or build metadata needs all of major.minor.patch")
        }
        return version
    }

    private static func isOperatorCharacter(_ character: Character) -> Bool {
        "<>=~^".contains(character)
    }

    private static func trimmed(_ text: Substring) -> Substring {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }), let last = text.lastIndex(where: { !$0.isWhitespace }) else {
            return text[text.endIndex...]
        }
        return text[first...last]
    }
}

extension VersionRange.Comparator {
    fileprivate static func atLeast(_ version: SemanticVersion) -> Self {
        Self(op: .greaterOrEqual, version: version)
    }

    /// Below `major.minor.patch` and all its prereleases.
    fileprivate static func below(_ major: Int, _ minor: Int, _ patch: Int) -> Self {
        Self(op: .less, version: SemanticVersion(major, minor, patch, prerelease: ["0"]))
    }
}

extension SemanticVersion {
    /// Whether `other` has the same major, minor and patch.
    fileprivate func hasNumbers(of other: SemanticVersion) -> Bool {
        major == other.major && minor == other.minor && patch == other.patch
    }
}
