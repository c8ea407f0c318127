// The protocol a parent and the program hosting the service share (README: "Spawning by name").
import Distributed
import TitanPM

/// A service's interface without its implementation: a parent that links only this can spawn
/// and call any service that adopts it.
@Resolvable
public protocol Greeting: DistributedActor where ActorSystem == ProcessActorSystem {
    distributed func greet(_ name: String) -> String
}
