import TitanCore
import TitanWire

/// What a child knows about its manager's mesh endpoint, kept with the child's actor system
/// for the layer that discovers services and carries events: where the endpoint listens, the
/// manager's pid (the process that must hold it), the secret this incarnation proves there,
/// and what the hosted service declared it depends on.
package struct MeshEndpoint: Sendable {
    package var address: String
    package var managerPID: Int32
    package var secret: PeerSecret
    package var dependencies: [ServiceDependency]

    package init(address: String, managerPID: Int32, secret: PeerSecret, dependencies: [ServiceDependency]) {
        self.address = address
        self.managerPID = managerPID
        self.secret = secret
        self.dependencies = dependencies
    }
}
