/// SplitMix64: a tiny seedable generator whose output mixer also serves as a hash
/// finalizer. Deterministic across processes and runs, unlike `SystemRandomNumberGenerator`
/// and Swift's per-process-seeded `Hasher`.
package struct SplitMix64: RandomNumberGenerator {
    package var state: UInt64

    package init(seed: UInt64) {
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// Spreads the bits of `value` over the whole 64-bit range (the SplitMix64 finalizer).
    package static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
