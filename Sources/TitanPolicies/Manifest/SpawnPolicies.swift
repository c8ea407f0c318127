/// Policies given at spawn (`SpawnOptions.policies`), keyed by method key (`add(_:_:)`), for a
/// service its user cannot annotate, or to change an annotated one's limits per deployment.
///
/// They override the method's attributes policy by policy (see
/// ``MethodPolicies/overridden(by:)``). What needs code generated from the attributes cannot
/// be given at spawn: a `key:` or tag read from an argument, `@SelfHeal`, `@CacheEvict`
/// (unless the attribute declares the same), and `@Validate` (its rules are code).
extension ServiceManifest {
    /// This manifest with `overrides` put over its methods' policies.
    ///
    /// Throws ``PolicyError/Code/invalidPolicy`` for a key no method has, or for policies
    /// only the method's attributes can provide.
    public func applying(_ overrides: [String: MethodPolicies]) throws(PolicyError) -> ServiceManifest {
        guard !overrides.isEmpty else { return self }
        var result = self
        for (key, override) in overrides.sorted(by: { $0.key < $1.key }) {
            let indices = methods.indices.filter { methods[$0].key == key }
            guard !indices.isEmpty else {
                throw PolicyError.invalidPolicy(method: key, "\(service) has no method \(key); its methods are " + methods.map(\.key).joined(separator: ", "))
            }
            for index in indices {
                let declared = methods[index].policies
                try override.checkEnforceable(method: key, declared: declared)
                result.methods[index].policies = declared.overridden(by: override)
            }
        }
        return result
    }
}

extension MethodPolicies {
    /// Checks policies given at spawn for `method`, over `declared` attributes (none for a
    /// service without `@ServiceContract`): keys read from arguments, healing and evictions
    /// need the code the attributes generate.
    public func checkEnforceable(method: String, declared: MethodPolicies = MethodPolicies()) throws(PolicyError) {
        let keys: [(String?, String?)] = [
            (rateLimit?.key, declared.rateLimit?.key),
            (cache?.key, declared.cache?.key),
            (idempotency?.key, declared.idempotency?.key),
        ]
        let declaredTags = Set((declared.cache?.tags ?? []) + declared.cacheInvalidations.flatMap(\.tags))
        let tags = (cache?.tags ?? []) + cacheInvalidations.flatMap(\.tags)
        let unreadable = keys.compactMap { given, declared in given != nil && given != declared ? given : nil }
            + tags.filter { $0.contains("{") && !declaredTags.contains($0) }
        if let template = unreadable.first {
            throw PolicyError.invalidPolicy(method: method, "'\(template)' would be read from the arguments, which only code generated from the method's attributes can do; declare it with an attribute under @ServiceContract")
        }
        if selfHeal != nil, declared.selfHeal == nil {
            throw PolicyError.invalidPolicy(method: method, "@SelfHeal needs the attribute under @ServiceContract, which generates the call of the healer")
        }
        if !cacheEvictions.isEmpty, cacheEvictions != declared.cacheEvictions {
            throw PolicyError.invalidPolicy(method: method, "@CacheEvict reads the entry's key from the arguments, which only code generated from the method's attributes can do")
        }
        if !validations.isEmpty, validations != declared.validations {
            throw PolicyError.invalidPolicy(method: method, "@Validate rules are code: declare them with the attribute under @ServiceContract")
        }
    }
}
