import SwiftSyntax
import TitanPolicies

/// A method of the actor, read from its declaration.
struct DistributedMethod {
    struct Parameter {
        let label: String?
        let name: String
        /// Normalized (no whitespace), for the manifest.
        let type: String
        /// As written, for generated declarations.
        let writtenType: String
        let isStream: Bool
        let isVariadic: Bool
    }

    let declaration: FunctionDeclSyntax
    let name: String
    let parameters: [Parameter]
    let resultType: String
    let writtenResultType: String
    let returnsStream: Bool
    let isGeneric: Bool
    let isDistributed: Bool
    let policies: [PolicyAttribute]

    init(_ declaration: FunctionDeclSyntax) {
        self.declaration = declaration
        name = declaration.name.text.trimmingBackticks
        parameters = declaration.signature.parameterClause.parameters.map { parameter in
            let first = parameter.firstName.text.trimmingBackticks
            let written = Self.baseType(parameter.type)
            let type = TypeText.normalized(written)
            return Parameter(
                label: first == "_" ? nil : first,
                name: (parameter.secondName?.text ?? first).trimmingBackticks,
                type: type,
                writtenType: written,
                isStream: Self.isStream(type),
                isVariadic: parameter.ellipsis != nil
            )
        }
        let result = declaration.signature.returnClause.map { TypeText.normalized(Self.baseType($0.type)) } ?? "()"
        resultType = result
        writtenResultType = declaration.signature.returnClause.map { Self.baseType($0.type) } ?? "Void"
        returnsStream = Self.isStream(result)
        isGeneric = declaration.genericParameterClause != nil
        isDistributed = declaration.modifiers.contains { $0.name.text == "distributed" }
        policies = declaration.attributes.policyAttributes
    }

    /// `name(label:label:)`.
    var key: String {
        name + "(" + parameters.map { ($0.label ?? "_") + ":" }.joined() + ")"
    }

    /// Whether the dispatch table can call it (not generic, not variadic).
    var isTableDispatched: Bool {
        !isGeneric && !parameters.contains(where: \.isVariadic)
    }

    var returnsVoid: Bool { resultType == "()" }

    func policies(_ kind: PolicyAttribute.Kind) -> [PolicyAttribute] {
        policies.filter { $0.kind == kind }
    }

    func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }

    /// The manifest's descriptor, without policies: what the interface hash covers.
    var signatureDescriptor: MethodDescriptor {
        MethodDescriptor(
            name: name,
            parameters: parameters.map { ParameterDescriptor(label: $0.label, name: $0.name, type: $0.type, isStream: $0.isStream) },
            resultType: resultType,
            returnsStream: returnsStream,
            isTableDispatched: isTableDispatched
        )
    }

    /// The type without ownership specifiers (`sending T` is a `T` on the wire).
    static func baseType(_ type: TypeSyntax) -> String {
        (type.as(AttributedTypeSyntax.self)?.baseType ?? type).trimmedDescription
    }

    static func isStream(_ type: String) -> Bool {
        type.hasPrefix("RemoteStream<") || type.hasPrefix("TitanPM.RemoteStream<")
    }
}

extension String {
    var trimmingBackticks: String {
        hasPrefix("`") && hasSuffix("`") && count >= 2 ? String(dropFirst().dropLast()) : self
    }
}
