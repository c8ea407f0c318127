import SwiftSyntax

/// One policy attribute on a method, as written.
struct PolicyAttribute {
    /// The policy attributes `@ServiceContract` reads.
    enum Kind: String, CaseIterable {
        case rateLimit = "RateLimit"
        case circuitBreaker = "CircuitBreaker"
        case retry = "Retry"
        case timeout = "Timeout"
        case cache = "Cache"
        case cacheEvict = "CacheEvict"
        case cacheInvalidate = "CacheInvalidate"
        case validate = "Validate"
        case idempotent = "Idempotent"
        case healthCheck = "HealthCheck"
        case trace = "Trace"
        case metric = "Metric"
        case selfHeal = "SelfHeal"

        /// The TitanPolicies type whose initialiser takes the attribute's arguments.
        var policyType: String? {
            switch self {
            case .rateLimit: "RateLimitPolicy"
            case .circuitBreaker: "CircuitBreakerPolicy"
            case .retry: "RetryPolicy"
            case .timeout: "TimeoutPolicy"
            case .cache: "CachePolicy"
            case .cacheEvict: "CacheEvictPolicy"
            case .cacheInvalidate: "CacheInvalidatePolicy"
            case .idempotent: "IdempotencyPolicy"
            case .healthCheck: "HealthCheckPolicy"
            case .trace: "TracePolicy"
            case .metric: "MetricPolicy"
            case .selfHeal: "SelfHealPolicy"
            case .validate: nil
            }
        }

        /// Whether a method may carry the attribute more than once.
        var isRepeatable: Bool {
            self == .validate || self == .cacheEvict || self == .cacheInvalidate
        }
    }

    let kind: Kind
    let syntax: AttributeSyntax

    init?(_ syntax: AttributeSyntax) {
        let name = syntax.attributeName.trimmedDescription.split(separator: ".").last.map(String.init) ?? ""
        guard let kind = Kind(rawValue: name) else { return nil }
        self.kind = kind
        self.syntax = syntax
    }

    /// The arguments as written (empty for `@Idempotent`).
    var arguments: LabeledExprListSyntax {
        syntax.arguments?.as(LabeledExprListSyntax.self) ?? []
    }

    /// The argument with `label`, or the first unlabelled one for nil.
    func argument(_ label: String?) -> LabeledExprSyntax? {
        arguments.first { $0.label?.text == label }
    }

    /// The string literal given for `label`, if it is a plain literal.
    func string(_ label: String?) -> String? {
        argument(label).flatMap { Self.literal($0.expression) }
    }

    /// The string literals in an array given for `label` (`tags: ["a", "b"]`).
    func strings(_ label: String) -> [(String, ExprSyntax)] {
        guard let array = argument(label)?.expression.as(ArrayExprSyntax.self) else { return [] }
        return array.elements.compactMap { element in Self.literal(element.expression).map { ($0, element.expression) } }
    }

    static func literal(_ expression: ExprSyntax) -> String? {
        guard let literal = expression.as(StringLiteralExprSyntax.self),
              literal.segments.count == 1,
              case .stringSegment(let segment) = literal.segments.first
        else { return nil }
        return segment.content.text
    }
}

extension AttributeListSyntax {
    /// The policy attributes in the list, in order.
    var policyAttributes: [PolicyAttribute] {
        compactMap { element in
            if case .attribute(let attribute) = element { PolicyAttribute(attribute) } else { nil }
        }
    }
}
