import SwiftSyntaxMacroExpansion
import SwiftSyntaxMacrosGenericTestSupport
import Testing
import TitanMacros

/// The macros as the compiler sees them, with the conformance `@ServiceContract` declares.
let titanMacros: [String: MacroSpec] = {
    var specs: [String: MacroSpec] = ["ServiceContract": MacroSpec(type: ServiceContractMacro.self, conformances: ["ContractedService"])]
    for name in [
        "RateLimit", "CircuitBreaker", "Retry", "Timeout", "Cache", "CacheEvict", "CacheInvalidate",
        "Validate", "Idempotent", "HealthCheck", "Trace", "Metric", "SelfHeal",
    ] {
        specs[name] = MacroSpec(type: PolicyAttributeMacro.self)
    }
    return specs
}()

/// `assertMacroExpansion` reporting through Swift Testing.
func assertExpansion(
    _ source: String,
    expandedSource: String,
    diagnostics: [DiagnosticSpec] = [],
    applyFixIts: [String]? = nil,
    fixedSource: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    assertMacroExpansion(
        source,
        expandedSource: expandedSource,
        diagnostics: diagnostics,
        macroSpecs: titanMacros,
        applyFixIts: applyFixIts,
        fixedSource: fixedSource,
        indentationWidth: .spaces(4),
        failureHandler: { failure in
            Issue.record(Comment(rawValue: failure.message), sourceLocation: sourceLocation)
        }
    )
}
