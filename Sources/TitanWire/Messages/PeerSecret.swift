/// The per-process secret a caller proves in its ``Hello`` before a child's listening socket
/// takes its calls.
///
/// The manager draws one for each child from the system's cryptographic generator and hands
/// it over the child's private socketpair, never through the environment or arguments (both
/// are readable in `/proc/<pid>/`). The manager itself calls over that socketpair and needs
/// no proof; a secret goes only to callers the manager introduces.
package struct PeerSecret: Sendable, Equatable, CustomStringConvertible {
    /// 256 bits.
    package static let size = 32

    package let bytes: [UInt8]

    /// A fresh secret from `SystemRandomNumberGenerator` (getrandom(2) on Linux).
    package static func generate() -> PeerSecret {
        var generator = SystemRandomNumberGenerator()
        return PeerSecret(bytes: (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    package init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether `proof` is this secret, in time that does not depend on where they differ.
    package func isProven(by proof: [UInt8]) -> Bool {
        guard proof.count == bytes.count else { return false }
        var difference: UInt8 = 0
        for index in bytes.indices { difference |= bytes[index] ^ proof[index] }
        return difference == 0
    }

    /// Never prints the bytes: a secret in a log is a secret given away.
    package var description: String { "PeerSecret(\(bytes.count) bytes)" }
}
