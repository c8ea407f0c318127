import TitanCore

/// What a frame carries. The raw values are the wire format: never renumber.
package enum FrameKind: UInt8, Sendable, CaseIterable {
    /// First frame from the connecting side: protocol version and who is calling.
    case hello = 1
    /// The accepting side's answer to `hello`: protocol version and what it hosts.
    case welcome = 2
    /// A remote call; `id` is the call id chosen by the caller.
    case call = 3
    /// The successful result of call `id`.
    case reply = 4
    /// Call `id` failed; the payload is a ``RemoteFailure``.
    case failure = 5
    /// The caller gave up on call `id` (cancelled or timed out); the callee cancels its task.
    case cancel = 6
    /// A request to the runtime rather than to an actor (health, graceful shutdown, stats).
    case control = 7
    /// Sent once before closing a connection that broke the protocol, with the reason.
    case protocolError = 8
    /// Elements of stream `id`.
    case streamElements = 9
    /// Stream `id` ended, normally (empty payload) or with a ``RemoteFailure``.
    case streamEnd = 10
    /// The consumer of stream `id` grants the producer more elements.
    case streamCredit = 11
    /// The consumer of stream `id` stopped listening.
    case streamCancel = 12
}

/// The fixed 16-byte header in front of every frame.
///
/// Layout, little-endian: magic (1 byte), kind (1), flags (2), payload length (4), id (8).
/// The id sits in the header, not the payload, so a frame that is too large to accept can
/// still be answered with an error for its call instead of losing the call.
package struct FrameHeader: Sendable, Equatable {
    package static let size = 16
    package static let magic: UInt8 = 0xC7
    /// The version exchanged in `hello`/`welcome`; bumped on any incompatible change.
    /// 2: the hello carries a proof (the callee's secret).
    package static let protocolVersion: UInt16 = 2

    package var kind: FrameKind
    package var flags: UInt16
    package var length: UInt32
    package var id: UInt64

    package init(kind: FrameKind, flags: UInt16 = 0, length: UInt32, id: UInt64) {
        self.kind = kind
        self.flags = flags
        self.length = length
        self.id = id
    }

    /// What a header that fails to parse says about the bytes.
    package enum ParseError: Error, Equatable {
        case badMagic(UInt8)
        case unknownKind(UInt8)
    }

    /// Parses a header from exactly `FrameHeader.size` bytes at `base`.
    package static func parse(_ base: UnsafeRawPointer) throws(ParseError) -> FrameHeader {
        let magic = base.load(as: UInt8.self)
        guard magic == Self.magic else { throw .badMagic(magic) }
        let rawKind = base.load(fromByteOffset: 1, as: UInt8.self)
        guard let kind = FrameKind(rawValue: rawKind) else { throw .unknownKind(rawKind) }
        let flags = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let length = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let id = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        return FrameHeader(kind: kind, flags: flags, length: length, id: id)
    }

    /// Writes the header into the first 16 bytes of `writer`'s buffer.
    package func write(into writer: inout ByteWriter, at offset: Int = 0) {
        writer.patchInteger(Self.magic, at: offset)
        writer.patchInteger(kind.rawValue, at: offset + 1)
        writer.patchInteger(flags, at: offset + 2)
        writer.patchInteger(length, at: offset + 4)
        writer.patchInteger(id, at: offset + 8)
    }
}

/// A received frame: its header fields and its payload.
package struct Frame: Sendable {
    package var kind: FrameKind
    package var flags: UInt16
    package var id: UInt64
    package var payload: [UInt8]

    package init(kind: FrameKind, flags: UInt16 = 0, id: UInt64, payload: [UInt8]) {
        self.kind = kind
        self.flags = flags
        self.id = id
        self.payload = payload
    }

    package var reader: ByteReader { ByteReader(payload) }
}

/// Builds one outgoing frame in a single buffer: header space first, payload after it,
/// so sending it is one write with no copy.
package struct FrameBuilder: Sendable {
    package var writer: ByteWriter
    package let kind: FrameKind
    package var flags: UInt16

    package init(kind: FrameKind, flags: UInt16 = 0, capacity: Int = 128) {
        self.kind = kind
        self.flags = flags
        writer = ByteWriter(capacity: capacity)
        for _ in 0..<FrameHeader.size { writer.writeByte(0) }
    }

    package var payloadCount: Int { writer.count - FrameHeader.size }

    /// The finished frame bytes for call/stream `id`.
    package mutating func finish(id: UInt64) -> [UInt8] {
        let header = FrameHeader(kind: kind, flags: flags, length: UInt32(truncatingIfNeeded: payloadCount), id: id)
        header.write(into: &writer)
        return writer.take()
    }
}

extension FrameBuilder {
    /// A frame with the given payload bytes.
    package static func frame(_ kind: FrameKind, id: UInt64, flags: UInt16 = 0, payload: some Collection<UInt8>) -> [UInt8] {
        var builder = FrameBuilder(kind: kind, flags: flags, capacity: FrameHeader.size + payload.count)
        builder.writer.writeBytes(payload)
        return builder.finish(id: id)
    }
}
