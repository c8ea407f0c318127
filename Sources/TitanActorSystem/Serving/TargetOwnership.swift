import Distributed
import Glibc
import Synchronization
import TitanCore

/// Whether a call's target is a distributed function of the actor it is sent to.
///
/// The standard library's `executeDistributedTarget` trusts the target: a method of another
/// type (a caller that resolved the id as the wrong actor type, or spawned by name with the
/// wrong `@Resolvable` protocol) runs with the wrong `self` and the process dies of SIGSEGV or
/// SIGILL. So the serving side checks first, from the target's mangled name, which the
/// runtime's demangler turns into `distributed thunk Module.Type.method(...)`:
/// - a method of a concrete type is allowed on an actor of exactly that type;
/// - a method of a `@Resolvable` stub (`Module.$Protocol`) is allowed on an actor that
///   conforms to `Module.Protocol` (the runtime then dispatches through that conformance).
///
/// Anything else is refused with ``ProcessError/Code/unknownTarget``. Verdicts for accepted
/// pairs are remembered (their number is bounded by the program's distributed functions),
/// so the hot path is one dictionary lookup. Not supported (refused): methods of generic
/// actor types, of private or fileprivate actor types (the runtime cannot look them up by
/// name) and of protocols nested in a type.
///
/// The argument types need no check of their own: the target's accessor decodes each
/// argument as its declared type, and a failure there is ``ProcessError/Code/invalidArguments``.
package enum TargetOwnership {
    private struct Key: Hashable {
        var target: String
        var actorType: ObjectIdentifier
    }

    private struct Accepted {
        var keys: Set<Key> = []
        /// The pair accepted last: a process serves runs of the same method, and comparing a
        /// target with an equal one costs a fraction of hashing it (a mangled name is ~60 bytes).
        var last: Key?
    }

    private static let accepted = Mutex(Accepted())

    /// Whether `target` may run on `actor`.
    package static func allows(_ target: String, on actor: any DistributedActor) -> Bool {
        let actorType = type(of: actor)
        let key = Key(target: target, actorType: ObjectIdentifier(actorType))
        let known = accepted.withLock { accepted -> Bool in
            if accepted.last == key { return true }
            guard accepted.keys.contains(key) else { return false }
            accepted.last = key
            return true
        }
        if known { return true }
        guard let owner = owner(ofTarget: target) else { return false }
        let allowed: Bool
        if owner == name(of: actorType) {
            allowed = true
        } else if let stubProtocol = protocolOfStub(owner) {
            allowed = conforms(actor, to: stubProtocol)
        } else {
            allowed = false
        }
        if allowed { accepted.withLock { _ = $0.keys.insert(key) } }
        return allowed
    }

    /// Why `target` may not run on `actor`, or nil if it may.
    package static func refusal(_ target: String, on actor: any DistributedActor) -> ProcessError? {
        guard !allows(target, on: actor) else { return nil }
        if let owner = owner(ofTarget: target), owner.contains(" in _") {
            // `Module.(Type in _DISCRIMINATOR)`: the runtime cannot look such a type up by name,
            // so it cannot be told apart from another private type of the same name.
            return ProcessError(
                .unknownTarget,
                "\(target) is a method of a private type (\(owner)); a distributed actor called through Titan must be internal or public"
            )
        }
        return ProcessError.unknownTarget(target)
    }

    /// `Module.Type` for a target naming `distributed thunk Module.Type.method(...)`; nil for
    /// anything that is not a distributed thunk.
    package static func owner(ofTarget target: String) -> String? {
        guard target.hasPrefix("$s"), target.hasSuffix("TE"), TypeName.isPrintable(target), let text = Demangler.demangle(target) else { return nil }
        let prefix = "distributed thunk "
        guard text.hasPrefix(prefix) else { return nil }
        var body = Substring(text.dropFirst(prefix.count))
        if body.hasPrefix("(extension in "), let close = body.firstRange(of: "):") {
            body = body[close.upperBound...]
        }
        // The name ends where the signature starts: `(`, `<` (generic) or ` : ` (a property).
        // A `(` right after a dot opens a context, not a signature: `Module.(Type in _XYZ)`.
        var components: [String] = []
        var current = ""
        var depth = 0
        var previous: Character = "\0"
        scan: for character in body {
            switch character {
            case "(" where previous == "." || depth > 0:
                depth += 1
            case ")" where depth > 0:
                depth -= 1
            case "<" where depth > 0:
                break
            case "(", "<":
                // depth is 0 here: the cases above took every other parenthesis.
                break scan
            case ":" where depth == 0 && previous == " " && !current.isEmpty:
                current.removeLast()
                break scan
            case "." where depth == 0:
                components.append(current)
                current = ""
                previous = character
                continue scan
            default:
                break
            }
            current.append(character)
            previous = character
        }
        components.append(current)
        if components.last == "getter" { components.removeLast() }
        guard components.count >= 3 else { return nil }
        return components.dropLast().joined(separator: ".")
    }

    /// The type's name as the demangler spells it in a target (`Module.(Type in _XYZ)` for a
    /// private type, where `String(reflecting:)` says `Module.(unknown context at $…).Type`).
    private static func name(of type: Any.Type) -> String {
        _mangledTypeName(type).flatMap { Demangler.demangle("$s\($0)D") } ?? String(reflecting: type)
    }

    /// For a `@Resolvable` stub `Module.$Protocol`, the protocol's existential type.
    private static func protocolOfStub(_ owner: String) -> Any.Type? {
        let components = owner.split(separator: ".")
        guard components.count == 2, components[1].hasPrefix("$") else { return nil }
        let module = components[0]
        let name = components[1].dropFirst()
        guard !module.isEmpty, !name.isEmpty else { return nil }
        // A plain (not word-substituted) mangling: the runtime resolves names, not spellings.
        let mangled = "\(module.utf8.count)\(module)\(name.utf8.count)\(name)P"
        guard let type = TypeName.resolve(mangled), String(reflecting: type) == "\(module).\(name)" else { return nil }
        return type
    }

    /// Whether `actor` is an instance of the existential type `protocolType` (`any P`).
    private static func conforms(_ actor: any DistributedActor, to protocolType: Any.Type) -> Bool {
        func check<P>(_: P.Type) -> Bool { actor is P }
        return _openExistential(protocolType, do: check)
    }
}
