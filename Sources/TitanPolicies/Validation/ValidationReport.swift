/// Collects the failures of several fields, so one error can list all of them.
///
/// The code `@Validate` generates fills one report per call before the method runs (and one
/// for its result); without the macro, fill one by hand.
public struct ValidationReport: Sendable {
    /// Every failure so far, in the order found.
    public private(set) var failures: [PolicyError.FieldFailure] = []

    /// An empty report.
    public init() {}

    /// Whether nothing failed.
    public var isValid: Bool { failures.isEmpty }

    /// Checks `value`, reported at `field`, against each of `rules`.
    public mutating func check<Value>(_ value: Value, field: String, _ rules: [ValidationRule<Value>]) {
        for rule in rules { rule.check(value, field: field, into: &failures) }
    }

    /// Throws ``PolicyError`` with code ``PolicyError/Code/validationFailed`` listing every
    /// failure, if there is one.
    public func throwIfFailed(method: String? = nil) throws(PolicyError) {
        guard failures.isEmpty else { throw PolicyError.validationFailed(method: method, failures: failures) }
    }
}
