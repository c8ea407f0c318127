/// Resolving a type from a mangled name that came from another process.
package enum TypeName {
    /// The longest mangled name looked up.
    package static let maxLength = 1024

    /// The type `mangled` names in this executable, or nil.
    ///
    /// The runtime's lookup trusts its input: bytes below 0x20 start symbolic references
    /// (raw relative pointers), and a NUL or other control byte in a name from a peer made it
    /// read wild memory (found by the wire decoder's fuzz target). Mangled names are printable
    /// ASCII (non-ASCII identifiers are Punycode-encoded), so anything else is refused before
    /// the runtime sees it.
    package static func resolve(_ mangled: String) -> Any.Type? {
        guard isPlausible(mangled) else { return nil }
        return _typeByName(mangled)
    }

    /// Whether `mangled` could be a mangled Swift name: printable ASCII, not too long.
    package static func isPlausible(_ mangled: String) -> Bool {
        var count = 0
        for byte in mangled.utf8 {
            guard byte >= 0x20 && byte < 0x7F else { return false }
            count += 1
            if count > maxLength { return false }
        }
        return count > 0
    }
}
