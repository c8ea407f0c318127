/// What a service offers callers: each distributed method's signature and policies.
///
/// `@ServiceContract` generates it at compile time as the service's static `manifest`. The
/// runtime uses it to find a call's entry in the dispatch table, to set up each method's
/// policies, and to compare a caller's view of a service with the process that hosts it.
///
/// The interface hash covers signatures only (names, labels, parameter and result types):
/// two builds whose methods can call each other have the same hash, whatever their rate
/// limits or timeouts say. Policies travel in the manifest itself.
public struct ServiceManifest: Codable, Sendable, Hashable {
    /// The service type's name as declared.
    public var service: String
    /// The distributed methods in declaration order; a method's position is its index in the
    /// dispatch table.
    public var methods: [MethodDescriptor]

    /// Describes a service.
    public init(service: String, methods: [MethodDescriptor]) {
        self.service = service
        self.methods = methods
    }

    /// One line per method (``MethodDescriptor/canonicalSignature``), sorted, so that the
    /// order of declarations does not matter.
    public var canonicalInterfaceText: String {
        methods.map(\.canonicalSignature).sorted().joined(separator: "\n")
    }

    /// The hash of ``canonicalInterfaceText``.
    public var interfaceHash: InterfaceHash { InterfaceHash(of: canonicalInterfaceText) }

    /// The dispatch-table index of the method with `key` (`add(_:_:)`), if exactly one has it.
    public func index(ofKey key: String) -> Int? {
        let matches = methods.indices.filter { methods[$0].key == key }
        return matches.count == 1 ? matches[0] : nil
    }

    /// The descriptor at dispatch-table index `index`.
    public func method(at index: Int) -> MethodDescriptor? {
        methods.indices.contains(index) ? methods[index] : nil
    }

    /// The descriptor of the method with `key`, if exactly one has it.
    public func method(forKey key: String) -> MethodDescriptor? {
        index(ofKey: key).map { methods[$0] }
    }

    /// The dispatch-table index for a call target, given the demangled name of its
    /// distributed thunk (see ``DemangledTarget``); nil when the target has no table entry
    /// or its types differ from this manifest's, so the runtime must fall back to
    /// `executeDistributedTarget`.
    public func dispatchIndex(for target: DemangledTarget) -> Int? {
        let wanted = target.parameterTypes.map(TypeText.unqualified)
        let result = TypeText.unqualified(target.resultType)
        let matches = methods.indices.filter { index in
            let method = methods[index]
            return method.isTableDispatched
                && method.key == target.key
                && method.parameterTypes.map(TypeText.unqualified) == wanted
                && TypeText.unqualified(method.resultType) == result
        }
        return matches.count == 1 ? matches[0] : nil
    }

    /// The keys of the methods whose signatures differ between this manifest and `other`
    /// (present in one only, or with other types), sorted: what a contract check names
    /// when the interface hashes disagree.
    public func differingMethods(from other: ServiceManifest) -> [String] {
        let mine = Dictionary(methods.map { ($0.canonicalSignature, $0.key) }, uniquingKeysWith: { first, _ in first })
        let theirs = Dictionary(other.methods.map { ($0.canonicalSignature, $0.key) }, uniquingKeysWith: { first, _ in first })
        var keys = Set<String>()
        for (signature, key) in mine where theirs[signature] == nil { keys.insert(key) }
        for (signature, key) in theirs where mine[signature] == nil { keys.insert(key) }
        return keys.sorted()
    }
}
