import SwiftSyntax
import TitanPolicies

/// Writes the members of a `@ServiceContract` extension as source text.
struct ContractCodeBuilder {
    let service: String
    let methods: [DistributedMethod]
    let functions: [FunctionDeclSyntax]

    private static let policies = "TitanPolicies."

    func members(access: String) -> String {
        """
        \(access)static let manifest: TitanPolicies.ServiceManifest = \(manifest)

        \(access)static var interfaceHash: TitanPolicies.InterfaceHash {
            TitanPolicies.InterfaceHash(rawValue: \(interfaceHashLiteral))
        }

        \(access)static func dispatch<_TitanArguments: TitanPolicies.DispatchArgumentDecoder, _TitanSink: TitanPolicies.DispatchResultSink>(
            method index: Int,
            on actor: \(service),
            arguments: inout _TitanArguments,
            result: _TitanSink
        ) async throws {
        \(Self.switchOver(dispatchCases, otherwise: "throw TitanPolicies.DispatchError(index: index, service: \(quoted(service)))"))
        }

        \(access)static func policyKeys<_TitanArguments: TitanPolicies.DispatchArgumentDecoder>(
            method index: Int,
            arguments: inout _TitanArguments
        ) throws -> TitanPolicies.PolicyKeys {
        \(Self.switchOver(keyCases, otherwise: "return TitanPolicies.PolicyKeys()"))
        }

        \(access)static func heal(method index: Int, on actor: \(service)) async throws -> Bool {
        \(Self.switchOver(healCases, otherwise: "return false"))
        }
        """
    }

    /// The members of a `@ServiceContract` protocol's extension: its manifest and hash.
    func interfaceMembers(access: String) -> String {
        """
        \(access)static var manifest: TitanPolicies.ServiceManifest {
            \(manifest.replacingOccurrences(of: "\n", with: "\n    "))
        }

        \(access)static var interfaceHash: TitanPolicies.InterfaceHash {
            TitanPolicies.InterfaceHash(rawValue: \(interfaceHashLiteral))
        }
        """
    }

    /// `switch index { cases; default: otherwise }`, or just `otherwise` when there are no cases.
    private static func switchOver(_ cases: String, otherwise: String) -> String {
        guard !cases.isEmpty else { return "    " + otherwise }
        return """
                switch index {
            \(cases)
                default:
                    \(otherwise)
                }
            """
    }

    // MARK: Manifest

    /// The interface hash, computed now from the same manifest types the runtime uses.
    var interfaceHashLiteral: String {
        let manifest = ServiceManifest(service: service, methods: methods.map(\.signatureDescriptor))
        return "0x" + manifest.interfaceHash.description
    }

    private var manifest: String {
        let entries = methods.map { "        " + descriptor($0) + "," }.joined(separator: "\n")
        return "TitanPolicies.ServiceManifest(\n    service: \(quoted(service)),\n    methods: [\n\(entries)\n    ]\n)"
    }

    private func descriptor(_ method: DistributedMethod) -> String {
        let parameters = method.parameters.map { parameter in
            "TitanPolicies.ParameterDescriptor(label: \(parameter.label.map(quoted) ?? "nil"), name: \(quoted(parameter.name)), type: \(quoted(parameter.type)), isStream: \(parameter.isStream))"
        }
        var fields = [
            "name: \(quoted(method.name))",
            "parameters: [\(parameters.joined(separator: ", "))]",
            "resultType: \(quoted(method.resultType))",
            "returnsStream: \(method.returnsStream)",
            "isTableDispatched: \(method.isTableDispatched)",
        ]
        let policies = policyArguments(method)
        if !policies.isEmpty {
            fields.append("policies: TitanPolicies.MethodPolicies(\(policies.joined(separator: ", ")))")
        }
        return "TitanPolicies.MethodDescriptor(" + fields.joined(separator: ", ") + ")"
    }

    /// The `MethodPolicies` initialiser's arguments, in its parameter order.
    private func policyArguments(_ method: DistributedMethod) -> [String] {
        func single(_ kind: PolicyAttribute.Kind, _ label: String) -> String? {
            method.policies(kind).first.map { "\(label): \(construct($0))" }
        }
        func list(_ kind: PolicyAttribute.Kind, _ label: String) -> String? {
            let items = method.policies(kind).map(construct)
            return items.isEmpty ? nil : "\(label): [\(items.joined(separator: ", "))]"
        }
        let validations = method.policies(.validate).compactMap { validation(for: $0, in: method) }
        return [
            single(.rateLimit, "rateLimit"),
            single(.circuitBreaker, "circuitBreaker"),
            single(.retry, "retry"),
            single(.timeout, "timeout"),
            single(.cache, "cache"),
            list(.cacheEvict, "cacheEvictions"),
            list(.cacheInvalidate, "cacheInvalidations"),
            validations.isEmpty ? nil : "validations: [\(validations.joined(separator: ", "))]",
            single(.idempotent, "idempotency"),
            single(.healthCheck, "healthCheck"),
            single(.trace, "trace"),
            single(.metric, "metric"),
            single(.selfHeal, "selfHeal"),
        ].compactMap { $0 }
    }

    /// `TitanPolicies.RateLimitPolicy(100, per: .seconds(1))` from `@RateLimit(100, per: .seconds(1))`.
    private func construct(_ attribute: PolicyAttribute) -> String {
        Self.policies + (attribute.kind.policyType ?? "") + "(" + attribute.arguments.trimmedDescription + ")"
    }

    private func validation(for attribute: PolicyAttribute, in method: DistributedMethod) -> String? {
        guard let target = validationTarget(attribute, in: method) else { return nil }
        return "TitanPolicies.ValidationDescriptor(field: \(quoted(target.field)), rules: (\(rules(attribute)) as [TitanPolicies.ValidationRule<\(target.type)>]).map(\\.summary))"
    }

    /// The field a `@Validate` checks and its type as written.
    private func validationTarget(_ attribute: PolicyAttribute, in method: DistributedMethod) -> (field: String, type: String, local: String)? {
        if attribute.argument("result") != nil { return ("result", method.writtenResultType, "value") }
        guard let name = attribute.string(nil), let index = method.parameters.firstIndex(where: { $0.name == name }) else { return nil }
        return (name, method.parameters[index].writtenType, "a\(index)")
    }

    /// The rules of a `@Validate` as an array literal.
    private func rules(_ attribute: PolicyAttribute) -> String {
        let rules = attribute.arguments.filter { $0.label == nil || $0.label?.text == "result" }
            .dropFirst(attribute.argument("result") == nil ? 1 : 0)
            .map { $0.expression.trimmedDescription }
        return "[" + rules.joined(separator: ", ") + "]"
    }

    // MARK: Dispatch

    private var dispatchCases: String {
        methods.enumerated().filter { $0.element.isTableDispatched }.map { index, method in
            var lines = ["    case \(index):"]
            lines += decodeLines(method, upTo: method.parameters.count, needed: Set(method.parameters.indices))
            let arguments = method.policies(.validate).filter { $0.argument("result") == nil }
            let results = method.policies(.validate).filter { $0.argument("result") != nil }
            lines += reportLines(arguments, in: method, report: "argumentReport")
            let call = "try await actor.\(method.declaration.name.text)(" + method.parameters.enumerated().map { i, parameter in
                (parameter.label.map { "\($0): " } ?? "") + "a\(i)"
            }.joined(separator: ", ") + ")"
            if method.returnsVoid {
                lines.append("        \(call)")
                lines.append("        try await result.onReturnVoid()")
            } else {
                lines.append("        let value = \(call)")
                lines += reportLines(results, in: method, report: "resultReport")
                lines.append("        try await result.onReturn(value: value)")
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    private func reportLines(_ validations: [PolicyAttribute], in method: DistributedMethod, report: String) -> [String] {
        let checks = validations.compactMap { attribute in
            validationTarget(attribute, in: method).map { target in
                "        \(report).check(\(target.local), field: \(quoted(target.field)), \(rules(attribute)))"
            }
        }
        guard !checks.isEmpty else { return [] }
        return ["        var \(report) = TitanPolicies.ValidationReport()"] + checks
            + ["        try \(report).throwIfFailed(method: \(quoted(method.key)))"]
    }

    /// Decodes arguments `0..<count` into `a0`, `a1`, ...; those not `needed` are skipped.
    private func decodeLines(_ method: DistributedMethod, upTo count: Int, needed: Set<Int>) -> [String] {
        method.parameters.prefix(count).enumerated().map { i, parameter in
            let name = needed.contains(i) ? "a\(i)" : "_"
            return "        let \(name): \(parameter.writtenType) = try arguments.decodeNextArgument()"
        }
    }

    // MARK: Policy keys

    private var keyCases: String {
        methods.enumerated().compactMap { index, method -> String? in
            guard method.isTableDispatched, !method.parameters.contains(where: \.isStream) else { return nil }
            var assignments: [String] = []
            var used = Set<Int>()
            func key(_ text: String?) -> String { keyExpression(text, in: method, used: &used) }
            if let limit = method.policies(.rateLimit).first, let text = limit.string("key") {
                assignments.append("keys.rateLimit = \(key(text))")
            }
            if let cache = method.policies(.cache).first {
                assignments.append("keys.cache = \(key(cache.string("key")))")
                let tags = cache.strings("tags").map { key($0.0) }
                if !tags.isEmpty { assignments.append("keys.cacheTags = [\(tags.joined(separator: ", "))]") }
            }
            let evictions = method.policies(.cacheEvict).compactMap { evict in
                evict.string(nil).map { "TitanPolicies.PolicyKeys.Eviction(method: \(quoted($0)), key: \(key(evict.string("key"))))" }
            }
            if !evictions.isEmpty { assignments.append("keys.evictions = [\(evictions.joined(separator: ", "))]") }
            let tags = method.policies(.cacheInvalidate).flatMap { $0.strings("tags").map { key($0.0) } }
            if !tags.isEmpty { assignments.append("keys.invalidatedTags = [\(tags.joined(separator: ", "))]") }
            if let idempotent = method.policies(.idempotent).first {
                assignments.append("keys.idempotency = \(key(idempotent.string("key")))")
            }
            guard !assignments.isEmpty else { return nil }
            let count = (used.max() ?? -1) + 1
            var lines = ["    case \(index):"] + decodeLines(method, upTo: count, needed: used)
            lines.append("        var keys = TitanPolicies.PolicyKeys()")
            lines += assignments.map { "        " + $0 }
            lines.append("        return keys")
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// The expression of a key or tag: a template filled with argument texts, a plain tag, or
    /// all arguments when `text` is nil.
    private func keyExpression(_ text: String?, in method: DistributedMethod, used: inout Set<Int>) -> String {
        func argument(_ name: String) -> String {
            guard let index = method.parameters.firstIndex(where: { $0.name == name }) else { return quoted("") }
            used.insert(index)
            return "TitanPolicies.PolicyKeyText.of(a\(index))"
        }
        guard let text else {
            used.formUnion(method.parameters.indices)
            let parts = method.parameters.map { argument($0.name) }
            return "TitanPolicies.PolicyKeyText.joined([\(parts.joined(separator: ", "))])"
        }
        guard let template = try? KeyTemplate(parsing: text) else { return quoted(text) }
        // A tag without placeholders is literal text; a bare key names an argument.
        if template.segments == [.argument(text)] && method.parameter(named: text) == nil { return quoted(text) }
        return template.segments.map { segment in
            switch segment {
            case .literal(let literal): quoted(literal)
            case .argument(let name): argument(name)
            }
        }.joined(separator: " + ")
    }

    // MARK: Healing

    private var healCases: String {
        methods.enumerated().compactMap { index, method -> String? in
            guard let heal = method.policies(.selfHeal).first, let name = heal.string("using"),
                  let healer = Self.healer(named: name, in: functions)
            else { return nil }
            let effects = healer.signature.effectSpecifiers
            let throwing = effects?.throwsClause != nil ? "try " : ""
            let async = effects?.asyncSpecifier != nil ? "await " : ""
            return """
                    case \(index):
                        _ = \(throwing)await actor.whenLocal { service in \(throwing)\(async)service.\(healer.name.text)() }
                        return true
                """
        }.joined(separator: "\n")
    }

    /// The actor's instance method `name()` without arguments.
    static func healer(named name: String, in functions: [FunctionDeclSyntax]) -> FunctionDeclSyntax? {
        functions.first { function in
            function.name.text.trimmingBackticks == name
                && function.signature.parameterClause.parameters.isEmpty
                && !function.modifiers.contains { $0.name.text == "static" }
        }
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
