import Foundation
import Testing
import TitanPM

// Semantic versions and npm-style ranges: SemVer 2.0.0 precedence, node-semver's range
// grammar and prerelease rule, and a typed error for every malformed input. Pure in-process.
// The expected values of the range table are node-semver's (7.6) answers for the same inputs.

/// One row of the range table: whether `version` is in `range`.
struct RangeCase: Sendable, CustomTestStringConvertible {
    let range: String
    let version: String
    let expected: Bool

    init(_ range: String, _ version: String, _ expected: Bool) {
        self.range = range
        self.version = version
        self.expected = expected
    }

    var testDescription: String { "\"\(range)\" \(expected ? "contains" : "excludes") \(version)" }
}

/// One malformed input and the error code it must produce.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    enum Kind: Sendable { case version, range }

    let kind: Kind
    let text: String

    var code: VersionError.Code { kind == .version ? .invalidVersion : .invalidRange }
    var testDescription: String { "\(kind) \"\(text)\"" }
}

private let rangeCases: [RangeCase] = [
    // Bare versions and comparators.
    .init("1.2.3", "1.2.3", true),
    .init("1.2.3", "1.2.4", false),
    .init("=1.2.3", "1.2.3+build.5", true),
    .init("v1.2.3", "1.2.3", true),
    .init(">1.2.3", "1.2.4", true),
    .init(">1.2.3", "1.2.3", false),
    .init(">=1.2.3", "1.2.3", true),
    .init("<1.2.3", "1.2.2", true),
    .init("<1.2.3", "1.2.3", false),
    .init("<=1.2.3", "1.2.3", true),
    .init(">=1.2.0 <2.0.0", "1.9.9", true),
    .init(">=1.2.0 <2.0.0", "2.0.0", false),
    .init(">=1.2.0 <2.0.0", "1.1.9", false),
    .init(">= 1.2.0   < 2.0.0", "1.5.0", true),
    // X-ranges and partial versions.
    .init("*", "0.0.0", true),
    .init("*", "99.1.0", true),
    .init("", "1.0.0", true),
    .init("x", "3.2.1", true),
    .init("1.x", "1.0.0", true),
    .init("1.x", "1.99.0", true),
    .init("1.x", "2.0.0", false),
    .init("1.x", "0.9.9", false),
    .init("1", "1.4.2", true),
    .init("1.X.x", "1.4.2", true),
    .init("1.2.*", "1.2.9", true),
    .init("1.2.*", "1.3.0", false),
    .init("1.2", "1.2.0", true),
    .init("1.2", "1.1.0", false),
    .init(">1.2", "1.2.9", false),
    .init(">1.2", "1.3.0", true),
    .init(">1", "2.0.0", true),
    .init(">1", "1.9.0", false),
    .init(">=1.2", "1.2.0", true),
    .init("<1.2", "1.1.9", true),
    .init("<1.2", "1.2.0", false),
    .init("<=1.2", "1.2.9", true),
    .init("<=1.2", "1.3.0", false),
    .init("<=1", "1.9.9", true),
    .init(">*", "1.0.0", false),
    .init("<*", "0.0.0", false),
    .init(">=*", "0.0.1", true),
    // Tilde.
    .init("~1.2.3", "1.2.3", true),
    .init("~1.2.3", "1.2.9", true),
    .init("~1.2.3", "1.3.0", false),
    .init("~1.2.3", "1.2.2", false),
    .init("~1.2", "1.2.0", true),
    .init("~1.2", "1.3.0", false),
    .init("~1", "1.9.0", true),
    .init("~1", "2.0.0", false),
    .init("~> 1.2.3", "1.2.5", true),
    .init("~0.2.3", "0.2.4", true),
    // Caret.
    .init("^1.2.3", "1.2.3", true),
    .init("^1.2.3", "1.9.9", true),
    .init("^1.2.3", "2.0.0", false),
    .init("^1.2.3", "1.2.2", false),
    .init("^0.2.3", "0.2.9", true),
    .init("^0.2.3", "0.3.0", false),
    .init("^0.0.3", "0.0.3", true),
    .init("^0.0.3", "0.0.4", false),
    .init("^1.2", "1.9.0", true),
    .init("^1.2", "1.1.0", false),
    .init("^0.2", "0.2.7", true),
    .init("^0.2", "0.3.0", false),
    .init("^0.x", "0.9.0", true),
    .init("^0.x", "1.0.0", false),
    .init("^0.0", "0.0.9", true),
    .init("^0.0", "0.1.0", false),
    .init("^0.0.x", "0.0.5", true),
    .init("^1", "1.0.0", true),
    .init("^ 1.2.3", "1.4.0", true),
    // Hyphen ranges.
    .init("1.2 - 2.3.4", "1.2.0", true),
    .init("1.2 - 2.3.4", "2.3.4", true),
    .init("1.2 - 2.3.4", "2.3.5", false),
    .init("1.2 - 2.3.4", "1.1.9", false),
    .init("1.2.3 - 2.3", "2.3.9", true),
    .init("1.2.3 - 2.3", "2.4.0", false),
    .init("1.2.3 - 2", "2.9.0", true),
    .init("1.2.3 - 2", "3.0.0", false),
    .init("* - 2.0.0", "0.1.0", true),
    .init("1.2.3 - 1.2.3", "1.2.3", true),
    // Alternatives.
    .init("1.x || >=2.5.0", "2.0.0", false),
    .init("1.x || >=2.5.0", "2.5.0", true),
    .init("1.x || >=2.5.0", "1.0.1", true),
    .init("1.2.7 || >=1.2.9 <2.0.0", "1.2.8", false),
    .init("1.2.7 || >=1.2.9 <2.0.0", "1.2.7", true),
    // The prerelease rule: only a comparator naming a prerelease of the same numbers admits one.
    .init("^1.2.3", "1.3.0-beta", false),
    .init("^1.2.3-beta.2", "1.2.3-beta.4", true),
    .init("^1.2.3-beta.2", "1.2.3-beta.1", false),
    .init("^1.2.3-beta.2", "1.2.4-beta.2", false),
    .init("^1.2.3-beta.2", "1.2.4", true),
    .init(">=1.3.0-beta.1 <2", "1.3.0-beta.2", true),
    .init(">=1.3.0-beta.1 <2", "1.4.0-beta", false),
    .init("*", "1.0.0-alpha", false),
    .init("", "1.0.0-alpha", false),
    .init("1.x", "1.5.0-rc.1", false),
    .init("<2.0.0", "2.0.0-beta", false),
    .init("<2.0.0", "1.9.0-beta", false),
    .init("~1.2.3-beta.2", "1.2.3-beta.3", true),
    .init("~1.2.3-beta.2", "1.2.3", true),
    .init("1.2.3-rc.1", "1.2.3-rc.1", true),
    .init("1.2.3-rc.1", "1.2.3-rc.2", false),
    .init("<1.2.3-rc.2", "1.2.3-rc.1", true),
    .init(">1.2.3-rc.1", "1.2.3", true),
    .init("1.0.0-rc.1 || 2.x", "1.0.0-rc.1", true),
    .init("1.0.0-rc.1 || 2.x", "2.0.0-rc.1", false),
    .init("1.2.3-alpha - 1.2.4", "1.2.3-beta", true),
    .init("1.2.3-alpha - 1.2.4", "1.2.4-beta", false),
]

private let malformedCases: [MalformedCase] = [
    .init(kind: .version, text: ""),
    .init(kind: .version, text: "v"),
    .init(kind: .version, text: "1"),
    .init(kind: .version, text: "1.2"),
    .init(kind: .version, text: "1.2.3.4"),
    .init(kind: .version, text: "1..3"),
    .init(kind: .version, text: "1.2."),
    .init(kind: .version, text: "01.2.3"),
    .init(kind: .version, text: "1.02.3"),
    .init(kind: .version, text: "1.2.03"),
    .init(kind: .version, text: "a.b.c"),
    .init(kind: .version, text: "-1.2.3"),
    .init(kind: .version, text: "1.2.-3"),
    .init(kind: .version, text: "1.2.3-"),
    .init(kind: .version, text: "1.2.3+"),
    .init(kind: .version, text: "1.2.3-01"),
    .init(kind: .version, text: "1.2.3-beta..1"),
    .init(kind: .version, text: "1.2.3-beta_1"),
    .init(kind: .version, text: "1.2.3+build..1"),
    .init(kind: .version, text: "1.2.3-béta"),
    .init(kind: .version, text: "99999999999999999999.0.0"),
    .init(kind: .version, text: " 1.2.3"),
    .init(kind: .version, text: "V1.2.3"),
    .init(kind: .version, text: "1.x.3"),
    .init(kind: .version, text: "^1.2.3"),
    .init(kind: .range, text: "^"),
    .init(kind: .range, text: ">="),
    .init(kind: .range, text: "1.2 >="),
    .init(kind: .range, text: ">=abc"),
    .init(kind: .range, text: "1.2 -"),
    .init(kind: .range, text: "- 1.2"),
    .init(kind: .range, text: "1 - 2 - 3"),
    .init(kind: .range, text: ">=1.0 - 2.0"),
    .init(kind: .range, text: "1.2.3.4"),
    .init(kind: .range, text: "1..2"),
    .init(kind: .range, text: "01.2"),
    .init(kind: .range, text: "1.2.03"),
    .init(kind: .range, text: "1.x ||"),
    .init(kind: .range, text: "|| 1.x"),
    .init(kind: .range, text: "1.x || || 2.x"),
    .init(kind: .range, text: "1 | 2"),
    .init(kind: .range, text: "1.2-beta"),
    .init(kind: .range, text: "1.x.3"),
    .init(kind: .range, text: "=>1.2"),
    .init(kind: .range, text: "~>=1"),
    .init(kind: .range, text: "99999999999999999999"),
    .init(kind: .range, text: "~1.9223372036854775807"),
    .init(kind: .range, text: ">9223372036854775807"),
    .init(kind: .range, text: "^0.0.9223372036854775807"),
    .init(kind: .range, text: "1.2.3-"),
]

@Suite struct VersionRangeTests {
    @Test(arguments: rangeCases)
    func aRangeContainsExactlyTheVersionsNodeSemverDoes(_ row: RangeCase) throws {
        let range = try VersionRange(parsing: row.range)
        let version = try SemanticVersion(parsing: row.version)
        #expect(range.contains(version) == row.expected)
    }

    @Test func versionsOrderBySemVerPrecedenceAsTheSpecListsThem() throws {
        let ordered = try ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"]
            .map { try SemanticVersion(parsing: $0) }
        for (i, a) in ordered.enumerated() {
            for (j, b) in ordered.enumerated() {
                #expect((a < b) == (i < j), "\(a) < \(b)")
                #expect((a == b) == (i == j), "\(a) == \(b)")
            }
        }
        #expect(ordered.reversed().sorted() == ordered)
        // Numeric identifiers compare by value however long, below alphanumeric ones.
        let numeric = try ["1.0.0-2", "1.0.0-10", "1.0.0-99999999999999999999999", "1.0.0-100000000000000000000000", "1.0.0-0a"]
            .map { try SemanticVersion(parsing: $0) }
        #expect(numeric.reversed().sorted() == numeric)
    }

    @Test func buildMetadataIsKeptButTakesNoPartInEqualityOrderOrHashing() throws {
        let a = try SemanticVersion(parsing: "1.0.0+linux.x86")
        let b = try SemanticVersion(parsing: "1.0.0+darwin")
        #expect(a == b && !(a < b) && !(b < a))
        #expect(Set([a, b]).count == 1)
        #expect(a.build == ["linux", "x86"] && a.description == "1.0.0+linux.x86")
        #expect(SemanticVersion(1, 0, 0, prerelease: ["rc", "1"], build: ["x"]) == (try SemanticVersion(parsing: "1.0.0-rc.1")))
    }

    @Test(arguments: malformedCases)
    func malformedTextIsATypedErrorThatQuotesTheInput(_ row: MalformedCase) {
        let error: VersionError?
        switch row.kind {
        case .version:
            error = #expect(throws: VersionError.self) { try SemanticVersion(parsing: row.text) }
            #expect(SemanticVersion(row.text) == nil)
        case .range:
            error = #expect(throws: VersionError.self) { try VersionRange(parsing: row.text) }
        }
        #expect(error?.code == row.code)
        #expect(error?.input == row.text)
        #expect(error?.message.contains("\"\(row.text)\"") == true, "\(error?.message ?? "no error")")
    }

    @Test func theMessageNamesThePartThatIsWrong() {
        let version = #expect(throws: VersionError.self) { try SemanticVersion(parsing: "1.02.3") }
        #expect(version?.message == "\"1.02.3\" is not a semantic version: the minor version \"02\" has a leading zero")
        let identifier = #expect(throws: VersionError.self) { try SemanticVersion(parsing: "1.2.3-beta..1") }
        #expect(identifier?.message.hasSuffix("prerelease identifier 2 is empty") == true)
        let comparator = #expect(throws: VersionError.self) { try VersionRange(parsing: "^1.2 >=abc") }
        #expect(comparator?.message == "\"^1.2 >=abc\" is not a version range: in the comparator \">=abc\", the major version \"abc\" is not a number")
        let hyphen = #expect(throws: VersionError.self) { try VersionRange(parsing: "1.2 -") }
        #expect(hyphen?.message.contains("hyphen range") == true)
        #expect(hyphen?.description == hyphen?.message)
    }

    @Test func descriptionsRoundTrip() throws {
        for text in ["0.0.0", "1.2.3", "1.2.3-alpha.1", "1.2.3+build.007", "1.0.0-rc.1+exp.sha.5114f85", "10.20.30-0.x-y.Z"] {
            let version = try SemanticVersion(parsing: text)
            #expect(version.description == text)
            #expect(SemanticVersion(version.description) == version)
            #expect(SemanticVersion(version.description)?.build == version.build)
        }
        #expect(try SemanticVersion(parsing: "v1.2.3").description == "1.2.3")
        #expect(SemanticVersion(1, 2, 3, prerelease: ["beta"]).description == "1.2.3-beta")

        for text in ["^1.2", ">=1.2.0 <2.0.0 || 3.x", "1.2 - 2.3.4", "~> 1.2", "*"] {
            let range = try VersionRange(parsing: "  \(text)\t")
            #expect(range.description == text)
            #expect(try VersionRange(parsing: range.description) == range)
        }
        #expect(VersionRange.any.description == "*")
        #expect(VersionRange.any.contains(SemanticVersion(0, 0, 1)) && !VersionRange.any.contains(SemanticVersion(1, 0, 0, prerelease: ["rc"])))
        #expect(try VersionRange(parsing: "  ").description == "")
    }

    @Test func versionsAndRangesEncodeAsTheirText() throws {
        let version = try SemanticVersion(parsing: "1.4.0-rc.2+linux")
        let range = try VersionRange(parsing: "^1.2 || 2.x")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let both = String(decoding: try encoder.encode(Pair(version: version, range: range)), as: UTF8.self)
        #expect(both == #"{"range":"^1.2 || 2.x","version":"1.4.0-rc.2+linux"}"#)
        let decoded = try JSONDecoder().decode(Pair.self, from: Data(both.utf8))
        #expect(decoded.version == version && decoded.version.build == ["linux"] && decoded.range == range)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Pair.self, from: Data(#"{"version":"1.4","range":"*"}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Pair.self, from: Data(#"{"version":"1.4.0","range":"^"}"#.utf8)) }
    }
}

private struct Pair: Codable {
    var version: SemanticVersion
    var range: VersionRange
}
