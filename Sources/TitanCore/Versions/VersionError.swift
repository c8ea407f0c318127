/// Text that is not a ``SemanticVersion`` or not a ``VersionRange``.
///
/// Match on ``code``, a set that grows without breaking a `switch` that has a `default`;
/// ``message`` names the part of ``input`` that is wrong. The error is `Codable`, so a service
/// that rejects a version a caller sent throws it back to the caller as itself.
public struct VersionError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of text was rejected. New codes may be added in any release.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        /// The code's name, as `invalidVersion`.
        public let rawValue: String

        /// The code named `rawValue`; use the static members.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The text is not a SemVer 2.0.0 version (``SemanticVersion/init(parsing:)``).
        public static let invalidVersion = Code(rawValue: "invalidVersion")
        /// The text is not a version range (``VersionRange/init(parsing:)``).
        public static let invalidRange = Code(rawValue: "invalidRange")

        /// The code's name.
        public var description: String { rawValue }
    }

    /// What kind of text was rejected.
    public let code: Code
    /// The whole text that was rejected, as given.
    public var input: String
    /// What is wrong and where, in words, quoting ``input``.
    public var message: String

    /// An error with `code` for `input`, explained by `message`.
    public init(_ code: Code, input: String, message: String) {
        self.code = code
        self.input = input
        self.message = message
    }

    /// The ``message``.
    public var description: String { message }

    /// `input` is not a version because of `problem`.
    static func invalidVersion(_ input: String, _ problem: VersionSyntaxProblem) -> VersionError {
        VersionError(.invalidVersion, input: input, message: "\"\(input)\" is not a semantic version: \(problem.what)")
    }

    /// `input` is not a range because of `problem`.
    static func invalidRange(_ input: String, _ problem: VersionSyntaxProblem) -> VersionError {
        VersionError(.invalidRange, input: input, message: "\"\(input)\" is not a version range: \(problem.what)")
    }
}

extension VersionError {
    /// Decodes a value stored as its text, parsed by `parse`: a version or a range. Throws
    /// `DecodingError.dataCorrupted` carrying the ``VersionError`` when the text does not parse.
    static func decodeText<T>(from decoder: any Decoder, _ parse: (String) throws(VersionError) -> T) throws -> T {
        let text = try decoder.singleValueContainer().decode(String.self)
        do throws(VersionError) {
            return try parse(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message, underlyingError: error))
        }
    }
}

/// What is wrong with a piece of version text, before it is known whether the piece belongs to
/// a version or to a range (and so which ``VersionError/Code`` reports it).
struct VersionSyntaxProblem: Error {
    /// The problem in words, naming the part, as `the minor version "02" has a leading zero`.
    var what: String

    init(_ what: String) {
        self.what = what
    }
}
