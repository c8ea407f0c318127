import TitanCore

/// What the connecting side says first: the protocol it speaks, who it is, and its proof
/// that it may call this process.
///
/// The proof is the callee's per-process secret (see ``PeerSecret``), which the manager hands
/// only to the callers it introduces. It is empty on the manager's private channel, where
/// holding the other end of the socketpair is the proof. A hello must fit in
/// ``Hello/maxSize``: the accepting side reads no more from a peer it does not know yet.
package struct Hello: Sendable, Equatable {
    /// The largest hello (and any frame before it) an accepting side reads.
    package static let maxSize = 4096

    package var protocolVersion: UInt16
    package var pid: Int32
    package var callerName: String
    package var proof: [UInt8]

    package init(protocolVersion: UInt16 = FrameHeader.protocolVersion, pid: Int32, callerName: String, proof: [UInt8] = []) {
        self.protocolVersion = protocolVersion
        self.pid = pid
        self.callerName = callerName
        self.proof = proof
    }

    package var payload: [UInt8] {
        var writer = ByteWriter()
        writer.writeInteger(protocolVersion)
        writer.writeInteger(pid)
        writer.writeString(callerName)
        writer.writeLengthPrefixed(proof)
        return writer.bytes
    }

    package init(payload: [UInt8]) throws(WireError) {
        var reader = ByteReader(payload)
        protocolVersion = try reader.readInteger()
        pid = try reader.readInteger()
        callerName = try reader.readString()
        proof = Array(try reader.readLengthPrefixed())
    }

    /// The protocol version a hello payload announces (its first field, the same in every
    /// version), so that a peer speaking another version is told so rather than that its
    /// hello is malformed.
    package static func version(of payload: [UInt8]) -> UInt16? {
        var reader = ByteReader(payload)
        return try? reader.readInteger(UInt16.self)
    }
}

/// What the accepting side says about itself in its `welcome` frame.
package struct Welcome: Sendable, Equatable {
    package var protocolVersion: UInt16
    package var pid: Int32
    package var process: ProcessID
    package var service: String
    package var serviceVersion: String

    package init(protocolVersion: UInt16 = FrameHeader.protocolVersion, pid: Int32, process: ProcessID, service: String, serviceVersion: String) {
        self.protocolVersion = protocolVersion
        self.pid = pid
        self.process = process
        self.service = service
        self.serviceVersion = serviceVersion
    }

    package var payload: [UInt8] {
        var writer = ByteWriter()
        writer.writeInteger(protocolVersion)
        writer.writeInteger(pid)
        writer.writeString(process.rawValue)
        writer.writeString(service)
        writer.writeString(serviceVersion)
        return writer.bytes
    }

    package init(payload: [UInt8]) throws(WireError) {
        var reader = ByteReader(payload)
        protocolVersion = try reader.readInteger()
        pid = try reader.readInteger()
        process = ProcessID(try reader.readString())
        service = try reader.readString()
        serviceVersion = try reader.readString()
    }
}

