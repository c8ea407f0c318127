import SwiftCompilerPlugin
import SwiftSyntax
import SwiftSyntaxMacros
import TitanMacros

// The compiler asks this plugin for `TitanMacrosPlugin.<Type>` (the module `#externalMacro`
// names), so each macro has a type here that hands the expansion to its implementation in
// `TitanMacros`. The implementations live in a library so that the expansion tests can depend
// on them: a test target that depends on a macro target has SwiftPM build every test target,
// and everything they import, a second time for the host.

@main
struct TitanMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [
        ServiceContractMacro.self,
        PolicyAttributeMacro.self,
    ]
}

/// `@ServiceContract` (see `TitanMacros.ServiceContractMacro`).
public struct ServiceContractMacro: ExtensionMacro {
    public static func expansion(
        of node: AttributeSyntax,
        attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        try TitanMacros.ServiceContractMacro.expansion(
            of: node, attachedTo: declaration, providingExtensionsOf: type, conformingTo: protocols, in: context
        )
    }
}

/// Every policy attribute (see `TitanMacros.PolicyAttributeMacro`).
public struct PolicyAttributeMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax,
        providingPeersOf declaration: some DeclSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        try TitanMacros.PolicyAttributeMacro.expansion(of: node, providingPeersOf: declaration, in: context)
    }
}
