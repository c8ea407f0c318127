import SwiftCompilerPlugin
import SwiftSyntaxMacros

@main
struct TitanMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [
        ServiceContractMacro.self,
        PolicyAttributeMacro.self,
    ]
}
