import Distributed
import TitanCore

/// The `userInfo` a ``WireEncoder`` or ``WireDecoder`` hands to `Codable` code: the actor
/// system (under `actorSystemKey`), plus any other entries.
///
/// The dictionary is built only when some `encode(to:)` or `init(from:)` asks for it, once
/// per `encode` or `decode`. Most calls never do (only actor references and streams need the
/// system), and building it for every call costs an allocation and hashing on each side.
package struct WireUserInfo: @unchecked Sendable {
    // Immutable; the system is Sendable, the entries come from tests and tools that build
    // coders from a plain dictionary.
    private let actorSystem: (any DistributedActorSystem)?
    private let entries: [CodingUserInfoKey: Any]

    package init(_ entries: [CodingUserInfoKey: Any] = [:]) {
        actorSystem = nil
        self.entries = entries
    }

    package init(actorSystem: any DistributedActorSystem) {
        self.actorSystem = actorSystem
        entries = [:]
    }

    package var dictionary: [CodingUserInfoKey: Any] {
        guard let actorSystem else { return entries }
        var all = entries
        all[.actorSystemKey] = actorSystem
        return all
    }
}
