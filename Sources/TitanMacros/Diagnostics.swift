import SwiftDiagnostics
import SwiftSyntax

/// Every message the macros emit. Errors stop the build; warnings flag code that compiles but
/// will not do what it seems to.
struct TitanDiagnostic: DiagnosticMessage {
    let message: String
    let id: String
    let severity: DiagnosticSeverity

    var diagnosticID: MessageID { MessageID(domain: "TitanPMMacros", id: id) }

    static func error(_ id: String, _ message: String) -> TitanDiagnostic {
        TitanDiagnostic(message: message, id: id, severity: .error)
    }

    static func warning(_ id: String, _ message: String) -> TitanDiagnostic {
        TitanDiagnostic(message: message, id: id, severity: .warning)
    }

    // MARK: @ServiceContract

    static let notAnActor = error("notAnActor", "@ServiceContract applies to a 'distributed actor' or a distributed protocol")
    static let interfaceNotInherited = error(
        "interfaceNotInherited",
        "@ServiceContract on a protocol describes its interface through 'ServiceInterface', which the protocol must inherit so that its stub conforms"
    )
    static let notDistributed = error("notDistributedActor", "@ServiceContract applies to a 'distributed actor'; this actor cannot be called from another process")

    static func unknownCachedMethod(_ attribute: String, _ method: String, cached: [String]) -> TitanDiagnostic {
        let list = cached.isEmpty ? "this actor has no @Cache method" : "the @Cache methods are " + cached.joined(separator: ", ")
        return error("unknownCachedMethod", "@\(attribute) names '\(method)', which is not a @Cache method of this actor; \(list)")
    }

    static func unknownHealer(_ healer: String) -> TitanDiagnostic {
        error("unknownHealer", "@SelfHeal names '\(healer)', but this actor has no method '\(healer)()' without arguments")
    }

    // MARK: Policy attributes

    static func notAFunction(_ attribute: String) -> TitanDiagnostic {
        error("notAFunction", "@\(attribute) applies to a 'distributed func'")
    }

    static func notADistributedFunction(_ attribute: String) -> TitanDiagnostic {
        error("notADistributedFunction", "@\(attribute) applies to a 'distributed func'; callers in other processes cannot reach this method")
    }

    static func duplicate(_ attribute: String) -> TitanDiagnostic {
        error("duplicateAttribute", "@\(attribute) appears more than once on this method")
    }

    static func notALiteral(_ attribute: String, _ label: String) -> TitanDiagnostic {
        error("notALiteral", "@\(attribute)'s \(label) must be a string literal, so the macro can read it")
    }

    static func malformedTemplate(_ attribute: String, _ text: String) -> TitanDiagnostic {
        error("malformedKeyTemplate", "@\(attribute): '\(text)' is not a key: write an argument's name, or text with '{argument}' placeholders")
    }

    static func unknownArgument(_ attribute: String, _ name: String, method: String, arguments: [String]) -> TitanDiagnostic {
        let list = arguments.isEmpty ? "it takes no arguments" : "its arguments are " + arguments.joined(separator: ", ")
        return error("unknownArgument", "@\(attribute) names '\(name)', which is not an argument of \(method); \(list)")
    }

    static func streamArgument(_ attribute: String, _ name: String) -> TitanDiagnostic {
        error("streamArgument", "@\(attribute) cannot use '\(name)': it is a RemoteStream, which flows while the method runs")
    }

    static func keysNeedNoStreams(_ attribute: String) -> TitanDiagnostic {
        error("keysWithStreamArguments", "@\(attribute) reads its key from the arguments, which it cannot do for a method that takes a RemoteStream")
    }

    static let cacheOnMutatingMethod = error(
        "cacheOnEvictingMethod",
        "@Cache on a method that also evicts or invalidates cache entries: such a method changes state, so its results must not be served from a cache"
    )

    static let cacheWithoutResult = error("cacheWithoutResult", "@Cache needs a method that returns a value; this one returns nothing")
    static let cacheOfStream = error("cacheOfStream", "@Cache cannot store a RemoteStream, which can be consumed only once")
    static let idempotentStream = error("idempotentStream", "@Idempotent cannot store a RemoteStream result to answer repeats with: it can be consumed only once")
    static let validateVoidResult = error("validateVoidResult", "@Validate(result:) on a method that returns nothing")

    static let retryWithoutIdempotent = warning(
        "retryWithoutIdempotent",
        "@Retry repeats only calls that provably never ran (not sent, rate limited, circuit open) unless the method is @Idempotent; after a timeout or a crash this method will not be retried. Add @Idempotent, or limit @Retry(on:) to [.notExecuted, .rateLimited, .circuitOpen]"
    )

    static let healthCheckArguments = error("healthCheckArguments", "@HealthCheck methods take no arguments: the manager calls them on its own")
    static let healthCheckResult = error("healthCheckResult", "@HealthCheck methods return HealthStatus or Bool")
}

struct TitanFixIt: FixItMessage {
    let message: String
    var fixItID: MessageID { MessageID(domain: "TitanPMMacros", id: message) }

    init(_ message: String) { self.message = message }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo.
func closest(to name: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 3) else { return nil }
    return best.0
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let current = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = current
        }
    }
    return a.isEmpty ? b.count : row[b.count]
}
