import TitanCore
import TitanWire

/// The first message on a child's private socketpair: what the child must know and nobody
/// else may read, so it never goes through the environment or the arguments (both are
/// readable in `/proc/<pid>/`).
package struct ChildBootstrap: Sendable, Equatable {
    /// What a caller on the listening socket must prove.
    package var secret: PeerSecret
    /// The abstract socket name (`@...`) to listen on for callers the manager introduces;
    /// nil: the child does not listen.
    package var listenAddress: String?
    package var limits: ServingLimits
    /// The service's encoded configuration.
    package var configuration: [UInt8]
    /// The abstract socket name of the manager's mesh endpoint (`@...`), where the child
    /// connects — on first use — to discover services, resolve peers and exchange events; nil:
    /// the manager offers none.
    package var meshAddress: String?

    package init(secret: PeerSecret, listenAddress: String?, limits: ServingLimits, configuration: [UInt8], meshAddress: String? = nil) {
        self.secret = secret
        self.listenAddress = listenAddress
        self.limits = limits
        self.configuration = configuration
        self.meshAddress = meshAddress
    }

    package var bytes: [UInt8] {
        var writer = ByteWriter(capacity: 64 + configuration.count)
        writer.writeLengthPrefixed(secret.bytes)
        writer.writeString(listenAddress ?? "")
        ControlRequest.writeTimeout(limits.handshakeTimeout, to: &writer)
        writer.writeVarint(limits.maxConnections)
        writer.writeVarint(limits.maxUnsentBytes)
        writer.writeLengthPrefixed(configuration)
        writer.writeString(meshAddress ?? "")
        return writer.bytes
    }

    package init(bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        secret = PeerSecret(bytes: Array(try reader.readLengthPrefixed()))
        let name = try reader.readString()
        listenAddress = name.isEmpty ? nil : name
        limits = ServingLimits(
            handshakeTimeout: try ControlRequest.readTimeout(&reader),
            maxConnections: Int(clamping: try reader.readVarint()),
            maxUnsentBytes: Int(clamping: try reader.readVarint())
        )
        configuration = Array(try reader.readLengthPrefixed())
        let mesh = try reader.readString()
        meshAddress = mesh.isEmpty ? nil : mesh
    }
}
