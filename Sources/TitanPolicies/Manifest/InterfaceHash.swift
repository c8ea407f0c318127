/// A stable 64-bit digest of a service's call surface: the same methods, labels and types
/// give the same hash in every process, on every run and every machine.
///
/// It is the FNV-1a 64 hash of ``ServiceManifest/canonicalInterfaceText``, written out here
/// rather than taken from Swift's `Hasher`, whose seed changes with every process.
/// `@ServiceContract` computes it at compile time; ``ServiceManifest/interfaceHash`` computes
/// the same value from a manifest at run time.
public struct InterfaceHash: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    /// The 64-bit digest.
    public var rawValue: UInt64

    /// Wraps a digest computed elsewhere (for example by the macro).
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The FNV-1a 64 digest of `text`'s UTF-8 bytes.
    public init(of text: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        rawValue = hash
    }

    /// Sixteen hexadecimal digits.
    public var description: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
