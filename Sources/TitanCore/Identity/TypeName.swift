/// Resolving a type from a mangled name that came from another process.
package enum TypeName {
    /// The longest mangled name looked up.
    package static let maxLength = 1024

    /// The type `mangled` names in this executable, or nil.
    ///
    /// The runtime's lookup trusts its input more than its name says; the wire decoder's fuzz
    /// target made it read wild memory with a NUL (bytes below 0x20 start symbolic
    /// references, raw relative pointers) and with the one-character name `$`. What
    /// `_mangledTypeName` produces is printable ASCII (non-ASCII identifiers are Punycode)
    /// and starts with a digit (a module's name) or `S`/`s` (the standard library), so
    /// anything else is refused before the runtime sees it.
    package static func resolve(_ mangled: String) -> Any.Type? {
        guard isPlausible(mangled) else { return nil }
        return _typeByName(mangled)
    }

    /// Whether `mangled` could be a mangled Swift type name: printable ASCII, not too long,
    /// starting as `_mangledTypeName`'s output does.
    package static func isPlausible(_ mangled: String) -> Bool {
        guard let first = mangled.utf8.first,
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) || first == UInt8(ascii: "S") || first == UInt8(ascii: "s")
        else { return false }
        return isPrintable(mangled)
    }

    /// Whether `mangled` is printable ASCII and not too long (a symbol, as a call's target).
    package static func isPrintable(_ mangled: String) -> Bool {
        var count = 0
        for byte in mangled.utf8 {
            guard byte >= 0x20 && byte < 0x7F else { return false }
            count += 1
            if count > maxLength { return false }
        }
        return count > 0
    }
}
