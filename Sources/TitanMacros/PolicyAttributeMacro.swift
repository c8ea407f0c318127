import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros
import TitanPolicies

/// Every policy attribute (`@RateLimit`, `@Cache`, ...). It generates nothing — the service
/// macro reads the attributes — but checks its method and its own arguments.
///
/// Each attribute reports what concerns itself (its keys, its conflicts); what concerns the
/// whole method (not `distributed`) is reported once, by the method's first policy attribute.
public struct PolicyAttributeMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax,
        providingPeersOf declaration: some DeclSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        guard let attribute = PolicyAttribute(node) else { return [] }
        guard let function = declaration.as(FunctionDeclSyntax.self) else {
            context.diagnose(Diagnostic(node: node, message: TitanDiagnostic.notAFunction(attribute.kind.rawValue)))
            return []
        }
        let method = DistributedMethod(function)
        // The attribute and the declaration reach the macro as separate copies; their places
        // in the file tell which of the method's attributes this one is.
        func place(_ syntax: some SyntaxProtocol) -> String {
            context.location(of: syntax).map { "\($0.line):\($0.column)" } ?? ""
        }
        let position = method.policies.firstIndex { place($0.syntax) == place(node) } ?? 0
        var checker = MethodChecker(attribute: attribute, position: position, method: method)
        checker.run()
        for diagnostic in checker.diagnostics { context.diagnose(diagnostic) }
        return []
    }
}

/// The checks of one attribute on one method.
struct MethodChecker {
    let attribute: PolicyAttribute
    /// Which of the method's policy attributes this is (0 for the first).
    let position: Int
    let method: DistributedMethod
    private(set) var diagnostics: [Diagnostic] = []

    init(attribute: PolicyAttribute, position: Int, method: DistributedMethod) {
        self.attribute = attribute
        self.position = position
        self.method = method
    }

    private var name: String { attribute.kind.rawValue }
    private var node: AttributeSyntax { attribute.syntax }

    mutating func run() {
        if position == 0 && !method.isDistributed {
            let keyword = method.declaration.funcKeyword
            diagnostics.append(Diagnostic(
                node: node,
                message: TitanDiagnostic.notADistributedFunction(name),
                fixIt: FixIt(message: TitanFixIt("make it 'distributed func'"), changes: [
                    .replace(oldNode: Syntax(keyword), newNode: Syntax(keyword.with(\.tokenKind, .identifier("distributed func")))),
                ])
            ))
        }
        checkDuplicate()
        switch attribute.kind {
        case .rateLimit:
            checkKey(attribute.argument("key"), label: "key")
        case .cache:
            checkCache()
        case .cacheEvict:
            checkLiteral(attribute.argument(nil), label: "method name")
            checkKey(attribute.argument("key"), label: "key", defaultReadsArguments: true)
        case .cacheInvalidate:
            checkLiteral(attribute.argument(nil), label: "method name")
            checkLiteral(attribute.argument("matching"), label: "pattern")
            checkTags()
        case .validate:
            checkValidate()
        case .idempotent:
            if method.returnsStream { error(.idempotentStream) }
            checkKey(attribute.argument("key"), label: "key", defaultReadsArguments: true)
        case .retry:
            checkRetry()
        case .healthCheck:
            if !method.parameters.isEmpty { error(.healthCheckArguments) }
            if !["HealthStatus", "TitanPM.HealthStatus", "Bool"].contains(method.resultType) { error(.healthCheckResult) }
        case .selfHeal:
            checkLiteral(attribute.argument("using"), label: "healer")
        case .circuitBreaker, .timeout, .trace, .metric:
            break
        }
    }

    private mutating func error(_ message: TitanDiagnostic, fixIts: [FixIt] = []) {
        error(message, at: node, fixIts: fixIts)
    }

    private mutating func error(_ message: TitanDiagnostic, at place: some SyntaxProtocol, fixIts: [FixIt] = []) {
        diagnostics.append(Diagnostic(node: Syntax(place), message: message, fixIts: fixIts))
    }

    /// Removes this attribute (and its line) from the method's attribute list.
    private var removeThisAttribute: FixIt {
        let list = method.declaration.attributes
        let target = method.policies[position].syntax
        var kept = Array(list.filter { element in
            if case .attribute(let attribute) = element { attribute.id != target.id } else { true }
        })
        if let first = list.first, !kept.isEmpty {
            kept[0] = kept[0].with(\.leadingTrivia, first.leadingTrivia)
        }
        return FixIt(message: TitanFixIt("remove @\(name)"), changes: [
            .replace(oldNode: Syntax(list), newNode: Syntax(AttributeListSyntax(kept))),
        ])
    }

    private mutating func checkDuplicate() {
        guard !attribute.kind.isRepeatable else { return }
        if method.policies.prefix(position).contains(where: { $0.kind == attribute.kind }) {
            error(.duplicate(name), fixIts: [removeThisAttribute])
        }
    }

    private mutating func checkLiteral(_ argument: LabeledExprSyntax?, label: String) {
        guard let argument, argument.expression.as(NilLiteralExprSyntax.self) == nil else { return }
        if PolicyAttribute.literal(argument.expression) == nil {
            error(.notALiteral(name, label), at: argument.expression)
        }
    }

    private mutating func checkCache() {
        if !method.policies(.cacheEvict).isEmpty || !method.policies(.cacheInvalidate).isEmpty {
            error(.cacheOnMutatingMethod, fixIts: [removeThisAttribute])
        }
        if method.returnsVoid { error(.cacheWithoutResult) }
        if method.returnsStream || method.parameters.contains(where: \.isStream) { error(.cacheOfStream) }
        checkKey(attribute.argument("key"), label: "key", defaultReadsArguments: true)
        checkTags()
    }

    private mutating func checkTags() {
        guard let tags = attribute.argument("tags")?.expression.as(ArrayExprSyntax.self) else { return }
        for element in tags.elements {
            guard let text = PolicyAttribute.literal(element.expression) else {
                error(.notALiteral(name, "tags"), at: element.expression)
                continue
            }
            // A tag without placeholders is plain text, not an argument name.
            if text.contains("{") { checkTemplate(text, at: element.expression) }
        }
    }

    private mutating func checkValidate() {
        if attribute.argument("result") != nil {
            if method.returnsVoid { error(.validateVoidResult) }
            return
        }
        guard let argument = attribute.argument(nil) else { return }
        guard let field = PolicyAttribute.literal(argument.expression) else {
            error(.notALiteral(name, "argument name"), at: argument.expression)
            return
        }
        checkNames([field], in: field, at: argument.expression)
    }

    private mutating func checkRetry() {
        guard method.policies(.idempotent).isEmpty else { return }
        if let on = attribute.argument("on")?.expression.as(ArrayExprSyntax.self) {
            let kinds = on.elements.map { $0.expression.trimmedDescription.replacingOccurrences(of: "FailureKind", with: "") }
            let safe: Set = [".notExecuted", ".rateLimited", ".circuitOpen"]
            if kinds.allSatisfy(safe.contains) { return }
        }
        let insert = TokenSyntax(.identifier("@Idempotent " + node.trimmedDescription), presence: .present)
            .with(\.leadingTrivia, node.leadingTrivia)
            .with(\.trailingTrivia, node.trailingTrivia)
        diagnostics.append(Diagnostic(
            node: node,
            message: TitanDiagnostic.retryWithoutIdempotent,
            fixIt: FixIt(message: TitanFixIt("add @Idempotent"), changes: [.replace(oldNode: Syntax(node), newNode: Syntax(insert))])
        ))
    }

    /// Checks a `key:` argument: a literal whose names are arguments, none a stream. With no
    /// key, a policy that `defaultReadsArguments` keys on all arguments, streams included.
    private mutating func checkKey(_ argument: LabeledExprSyntax?, label: String, defaultReadsArguments: Bool = false) {
        guard let argument, argument.expression.as(NilLiteralExprSyntax.self) == nil else {
            if defaultReadsArguments, method.parameters.contains(where: \.isStream), attribute.kind != .cache {
                error(.keysNeedNoStreams(name))
            }
            return
        }
        guard let text = PolicyAttribute.literal(argument.expression) else {
            error(.notALiteral(name, label), at: argument.expression)
            return
        }
        if method.parameters.contains(where: \.isStream), attribute.kind != .cache {
            error(.keysNeedNoStreams(name))
            return
        }
        checkTemplate(text, at: argument.expression)
    }

    private mutating func checkTemplate(_ text: String, at expression: ExprSyntax) {
        guard let template = try? KeyTemplate(parsing: text) else {
            error(.malformedTemplate(name, text), at: expression)
            return
        }
        checkNames(template.arguments, in: text, at: expression)
    }

    private mutating func checkNames(_ names: [String], in text: String, at expression: ExprSyntax) {
        let known = method.parameters.map(\.name)
        for argumentName in names {
            guard let parameter = method.parameter(named: argumentName) else {
                var fixIts: [FixIt] = []
                if let suggestion = closest(to: argumentName, in: known) {
                    let fixed = text == argumentName ? suggestion : text.replacingOccurrences(of: "{\(argumentName)}", with: "{\(suggestion)}")
                    let literal = StringLiteralExprSyntax(content: fixed)
                        .with(\.leadingTrivia, expression.leadingTrivia)
                        .with(\.trailingTrivia, expression.trailingTrivia)
                    fixIts.append(FixIt(message: TitanFixIt("use '\(suggestion)'"), changes: [
                        .replace(oldNode: Syntax(expression), newNode: Syntax(literal)),
                    ]))
                }
                error(.unknownArgument(name, argumentName, method: method.key, arguments: known), at: expression, fixIts: fixIts)
                continue
            }
            if parameter.isStream { error(.streamArgument(name, argumentName), at: expression) }
        }
    }
}

extension String {
    /// `self` with every occurrence of `target` replaced (Foundation-free).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
