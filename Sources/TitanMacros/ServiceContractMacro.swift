import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros
import TitanPolicies

/// `@ServiceContract`: the manifest, interface hash, dispatch table, policy keys and healers
/// of a distributed actor, as an extension conforming it to `ContractedService`.
public struct ServiceContractMacro: ExtensionMacro {
    public static func expansion(
        of node: AttributeSyntax,
        attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        if let interface = declaration.as(ProtocolDeclSyntax.self) {
            return try protocolExpansion(interface, node: node, type: type, in: context)
        }
        guard let actor = declaration.as(ActorDeclSyntax.self) else {
            context.diagnose(Diagnostic(node: node, message: TitanDiagnostic.notAnActor))
            return []
        }
        guard actor.modifiers.contains(where: { $0.name.text == "distributed" }) else {
            let keyword = actor.actorKeyword
            context.diagnose(Diagnostic(
                node: node,
                message: TitanDiagnostic.notDistributed,
                fixIt: FixIt(message: TitanFixIt("make it a 'distributed actor'"), changes: [
                    .replace(oldNode: Syntax(keyword), newNode: Syntax(keyword.with(\.tokenKind, .identifier("distributed actor")))),
                ])
            ))
            return []
        }
        let functions = actor.memberBlock.members.compactMap { $0.decl.as(FunctionDeclSyntax.self) }
        let methods = functions
            .filter { function in !function.modifiers.contains { ["static", "class"].contains($0.name.text) } }
            .map(DistributedMethod.init)
            .filter(\.isDistributed)
        for diagnostic in crossMethodDiagnostics(methods, functions: functions) { context.diagnose(diagnostic) }

        let builder = ContractCodeBuilder(service: actor.name.text.trimmingBackticks, methods: methods, functions: functions)
        let access = actor.modifiers.first { ["public", "package"].contains($0.name.text) }.map { $0.name.text + " " } ?? ""
        let conformance = protocols.isEmpty ? "" : ": TitanPolicies.ContractedService"
        let text = """
            extension \(type.trimmedDescription)\(conformance) {
            \(builder.members(access: access))
            }
            """
        return [try ExtensionDeclSyntax("\(raw: text)")]
    }

    /// `@ServiceContract` on a distributed protocol: the manifest and interface hash of its
    /// requirements, as defaults in an extension, so that the stub `@Resolvable` generates
    /// (and every conforming actor without its own contract) is a `ServiceInterface`.
    static func protocolExpansion(
        _ interface: ProtocolDeclSyntax,
        node: AttributeSyntax,
        type: some TypeSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        let inherited = interface.inheritanceClause?.inheritedTypes.map { $0.type.trimmedDescription } ?? []
        guard inherited.contains(where: { $0 == "ServiceInterface" || $0 == "TitanPolicies.ServiceInterface" }) else {
            var fixIts: [FixIt] = []
            if let clause = interface.inheritanceClause, let last = clause.inheritedTypes.last {
                let added = last.trimmed.with(\.leadingTrivia, last.leadingTrivia).with(\.trailingComma, .commaToken(trailingTrivia: .space))
                let list = clause.inheritedTypes.with(\.[clause.inheritedTypes.index(before: clause.inheritedTypes.endIndex)], added)
                    + [InheritedTypeSyntax(type: TypeSyntax("ServiceInterface")).with(\.trailingTrivia, last.trailingTrivia)]
                fixIts.append(FixIt(message: TitanFixIt("inherit 'ServiceInterface'"), changes: [
                    .replace(oldNode: Syntax(clause), newNode: Syntax(clause.with(\.inheritedTypes, InheritedTypeListSyntax(list)))),
                ]))
            }
            context.diagnose(Diagnostic(node: node, message: TitanDiagnostic.interfaceNotInherited, fixIts: fixIts))
            return []
        }
        let functions = interface.memberBlock.members.compactMap { $0.decl.as(FunctionDeclSyntax.self) }
        let methods = functions
            .filter { function in !function.modifiers.contains { $0.name.text == "static" } }
            .map(DistributedMethod.init)
            .filter(\.isDistributed)
        let builder = ContractCodeBuilder(service: interface.name.text.trimmingBackticks, methods: methods, functions: functions)
        let access = interface.modifiers.first { ["public", "package"].contains($0.name.text) }.map { $0.name.text + " " } ?? ""
        let text = """
            extension \(type.trimmedDescription) {
            \(builder.interfaceMembers(access: access))
            }
            """
        return [try ExtensionDeclSyntax("\(raw: text)")]
    }

    /// What no single method's attribute can see: references from one method to another.
    static func crossMethodDiagnostics(_ methods: [DistributedMethod], functions: [FunctionDeclSyntax]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let cached = methods.filter { !$0.policies(.cache).isEmpty }.map(\.key)
        for method in methods {
            for attribute in method.policies(.cacheEvict) + method.policies(.cacheInvalidate) {
                guard let argument = attribute.argument(nil), let target = attribute.string(nil), !cached.contains(target) else { continue }
                var fixIts: [FixIt] = []
                if let suggestion = closest(to: target, in: cached) {
                    let literal = StringLiteralExprSyntax(content: suggestion)
                        .with(\.leadingTrivia, argument.expression.leadingTrivia)
                        .with(\.trailingTrivia, argument.expression.trailingTrivia)
                    fixIts.append(FixIt(message: TitanFixIt("use '\(suggestion)'"), changes: [
                        .replace(oldNode: Syntax(argument.expression), newNode: Syntax(literal)),
                    ]))
                }
                diagnostics.append(Diagnostic(
                    node: argument.expression,
                    message: TitanDiagnostic.unknownCachedMethod(attribute.kind.rawValue, target, cached: cached),
                    fixIts: fixIts
                ))
            }
            for attribute in method.policies(.selfHeal) {
                guard let argument = attribute.argument("using"), let healer = attribute.string("using") else { continue }
                if ContractCodeBuilder.healer(named: healer, in: functions) == nil {
                    diagnostics.append(Diagnostic(node: argument.expression, message: TitanDiagnostic.unknownHealer(healer)))
                }
            }
        }
        return diagnostics
    }
}
