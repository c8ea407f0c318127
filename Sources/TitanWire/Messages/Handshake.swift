import TitanCore

/// What the connecting side says first: the protocol it speaks and who it is.
package struct Hello: Sendable, Equatable {
    package var protocolVersion: UInt16
    package var pid: Int32
    package var callerName: String

    package init(protocolVersion: UInt16 = FrameHeader.protocolVersion, pid: Int32, callerName: String) {
        self.protocolVersion = protocolVersion
        self.pid = pid
        self.callerName = callerName
    }

    package var payload: [UInt8] {
        var writer = ByteWriter()
        writer.writeInteger(protocolVersion)
        writer.writeInteger(pid)
        writer.writeString(callerName)
        return writer.bytes
    }

    package init(payload: [UInt8]) throws(WireError) {
        var reader = ByteReader(payload)
        protocolVersion = try reader.readInteger()
        pid = try reader.readInteger()
        callerName = try reader.readString()
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

