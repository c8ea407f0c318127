import Distributed
import Synchronization
import TitanCore
import TitanTransport
import TitanWire

/// Readable names of call targets, demangled once per identifier.
final class TargetNames: Sendable {
    static let shared = TargetNames()

    private let names = Mutex<[String: String]>([:])

    func name(of identifier: String) -> String {
        if let known = names.withLock({ $0[identifier] }) { return known }
        let name = RemoteCallTarget(identifier).description
        names.withLock { names in
            // Identifiers come from peers: keep the cache bounded.
            if names.count > 4096 { names.removeAll() }
            names[identifier] = name
        }
        return name
    }
}
