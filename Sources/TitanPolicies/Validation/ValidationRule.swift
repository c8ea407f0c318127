import Synchronization

/// One check on a value: a range, a length, a pattern, a custom predicate. Rules combine in
/// ``ValidationReport`` (and in `@Validate`), which lists every field that failed and why.
///
/// ```swift
/// var report = ValidationReport()
/// report.check(age, field: "age", [.range(18...120)])
/// report.check(email, field: "email", [.length(3...254), .pattern(.email)])
/// try report.throwIfFailed(method: "register(email:age:)")
/// ```
public struct ValidationRule<Value>: Sendable {
    /// A short description of the rule for the manifest (`range 18...120`).
    public let summary: String
    private let check: @Sendable (Value, String, inout [PolicyError.FieldFailure]) -> Void

    /// A rule that adds the failures of `value` at `field` (a path) to `failures`; use it
    /// for rules that look inside a value.
    public init(summary: String, check: @escaping @Sendable (_ value: Value, _ field: String, _ failures: inout [PolicyError.FieldFailure]) -> Void) {
        self.summary = summary
        self.check = check
    }

    /// A rule that fails with the reason `reason(value)` returns, or passes when it returns nil.
    public init(summary: String, reason: @escaping @Sendable (Value) -> String?) {
        self.init(summary: summary) { value, field, failures in
            if let why = reason(value) { failures.append(.init(field: field, reason: why)) }
        }
    }

    /// The failures of `value`, reported at `field`.
    public func failures(of value: Value, field: String) -> [PolicyError.FieldFailure] {
        var failures: [PolicyError.FieldFailure] = []
        check(value, field, &failures)
        return failures
    }

    func check(_ value: Value, field: String, into failures: inout [PolicyError.FieldFailure]) {
        check(value, field, &failures)
    }

    /// Passes when `predicate` holds; otherwise fails with `reason` ("must be even").
    public static func custom(_ reason: String, _ predicate: @escaping @Sendable (Value) -> Bool) -> ValidationRule {
        ValidationRule(summary: "custom: \(reason)") { predicate($0) ? nil : reason }
    }

    /// Checks the property at `keyPath` with `rules`, reported at `field.name` (a nested
    /// field of a `Codable` argument).
    public static func field<Field>(_ name: String, _ keyPath: KeyPath<Value, Field> & Sendable, _ rules: ValidationRule<Field>...) -> ValidationRule {
        ValidationRule(summary: "\(name): " + rules.map(\.summary).joined(separator: ", ")) { value, field, failures in
            let inner = value[keyPath: keyPath]
            for rule in rules { rule.check(inner, field: field + "." + name, into: &failures) }
        }
    }
}

extension ValidationRule where Value: Comparable & Sendable {
    /// Passes for values in `range`.
    public static func range(_ range: ClosedRange<Value>) -> ValidationRule {
        ValidationRule(summary: "range \(range)") {
            range.contains($0) ? nil : "must be between \(range.lowerBound) and \(range.upperBound)"
        }
    }

    /// Passes for values of at least `minimum`.
    public static func atLeast(_ minimum: Value) -> ValidationRule {
        ValidationRule(summary: "at least \(minimum)") { $0 >= minimum ? nil : "must be at least \(minimum)" }
    }

    /// Passes for values of at most `maximum`.
    public static func atMost(_ maximum: Value) -> ValidationRule {
        ValidationRule(summary: "at most \(maximum)") { $0 <= maximum ? nil : "must be at most \(maximum)" }
    }
}

extension ValidationRule where Value: Collection & Sendable {
    /// Passes when the number of elements is in `range`.
    public static func count(_ range: ClosedRange<Int>) -> ValidationRule {
        ValidationRule(summary: "count \(range)") {
            range.contains($0.count) ? nil : "must have between \(range.lowerBound) and \(range.upperBound) elements"
        }
    }

    /// Passes when there is at least one element.
    public static var nonEmpty: ValidationRule {
        ValidationRule(summary: "non-empty") { $0.isEmpty ? "must not be empty" : nil }
    }

    /// Checks every element with `rules`, reported at `field[index]`.
    public static func each(_ rules: ValidationRule<Value.Element>...) -> ValidationRule {
        ValidationRule(summary: "each: " + rules.map(\.summary).joined(separator: ", ")) { value, field, failures in
            for (index, element) in value.enumerated() {
                for rule in rules { rule.check(element, field: "\(field)[\(index)]", into: &failures) }
            }
        }
    }
}

extension ValidationRule where Value == String {
    /// Passes when the number of characters is in `range`.
    public static func length(_ range: ClosedRange<Int>) -> ValidationRule {
        ValidationRule(summary: "length \(range)") {
            range.contains($0.count) ? nil : "must be \(range.lowerBound) to \(range.upperBound) characters long"
        }
    }

    /// Passes when the whole string is of `pattern`'s shape.
    public static func pattern(_ pattern: TextPattern) -> ValidationRule {
        ValidationRule(summary: "pattern \(pattern)") { pattern.matches($0) ? nil : "must be \(pattern.expectation)" }
    }

    /// Passes when the whole string matches `regex` (described as `description` in failures).
    public static func matches(_ regex: sending Regex<Substring>, _ description: String = "of the expected format") -> ValidationRule {
        let box = RegexBox(regex)
        return ValidationRule(summary: "matches \(description)") { text in
            box.matches(text) ? nil : "must be \(description)"
        }
    }
}

extension ValidationRule {
    /// For an optional value: nil passes, a value is checked with `rules`.
    public static func ifPresent<Wrapped>(_ rules: ValidationRule<Wrapped>...) -> ValidationRule where Value == Wrapped? {
        ValidationRule(summary: "if present: " + rules.map(\.summary).joined(separator: ", ")) { value, field, failures in
            guard let value else { return }
            for rule in rules { rule.check(value, field: field, into: &failures) }
        }
    }

    /// For an optional value: nil fails.
    public static func required<Wrapped>() -> ValidationRule where Value == Wrapped? {
        ValidationRule(summary: "required") { $0 == nil ? "is required" : nil }
    }
}

/// `Regex` is not `Sendable` (it compiles its program lazily), so rules share one behind a lock.
private final class RegexBox: Sendable {
    private let regex: Mutex<Regex<Substring>>

    init(_ regex: sending Regex<Substring>) { self.regex = Mutex(regex) }

    func matches(_ text: String) -> Bool {
        regex.withLock { (try? $0.wholeMatch(in: text)) != nil }
    }
}
