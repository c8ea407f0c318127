import Logging
import TitanCore
import TitanWire

/// One swift-log record made in a child, as it travels to the parent: the child's
/// `LogHandler` writes it on the log pipe, the parent re-emits it with its own `Logger`.
public struct LogRecord: Sendable, Hashable, Codable {
    /// When it was logged, in nanoseconds since 1970.
    public var timeNanoseconds: Int64
    /// The record's level.
    public var level: Logger.Level
    /// The logged message.
    public var message: String
    /// The record's metadata, its values rendered as strings.
    public var metadata: [String: String]
    /// The logger's label.
    public var label: String
    /// The module that logged it (swift-log's `source`).
    public var source: String
    /// The source file that logged it.
    public var file: String
    /// The function that logged it.
    public var function: String
    /// The line that logged it.
    public var line: UInt

    /// A record with the given fields.
    public init(timeNanoseconds: Int64, level: Logger.Level, message: String, metadata: [String: String], label: String, source: String, file: String, function: String, line: UInt) {
        self.timeNanoseconds = timeNanoseconds
        self.level = level
        self.message = message
        self.metadata = metadata
        self.label = label
        self.source = source
        self.file = file
        self.function = function
        self.line = line
    }

    /// The largest record accepted on the pipe; longer messages are cut.
    public static let maxFrameSize = 64 << 10

    /// The record as a frame on the log pipe: a 4-byte little-endian length, then the record.
    public func frame() -> [UInt8] {
        var record = self
        if record.message.utf8.count > Self.maxFrameSize / 2 {
            record.message = String(decoding: record.message.utf8.prefix(Self.maxFrameSize / 2), as: UTF8.self) + "…"
        }
        let body = (try? WireEncoder().encode(record)) ?? []
        var writer = ByteWriter(capacity: body.count + 4)
        writer.writeInteger(UInt32(body.count))
        writer.writeBytes(body)
        return writer.bytes
    }
}

/// Cuts a byte stream from the log pipe into ``LogRecord``s.
public struct LogRecordReader: Sendable {
    private var buffer: [UInt8] = []

    /// A reader with nothing buffered.
    public init() {}

    /// Adds `bytes` and returns the records they complete. A malformed frame ends the
    /// stream's use: everything after it is discarded and `malformed` is set.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [LogRecord] {
        guard !malformed else { return [] }
        buffer.append(contentsOf: bytes)
        var records: [LogRecord] = []
        var offset = 0
        while buffer.count - offset >= 4 {
            let length = Int(UInt32(buffer[offset]) | UInt32(buffer[offset + 1]) << 8 | UInt32(buffer[offset + 2]) << 16 | UInt32(buffer[offset + 3]) << 24)
            guard length <= LogRecord.maxFrameSize * 2 else {
                malformed = true
                buffer = []
                return records
            }
            guard buffer.count - offset - 4 >= length else { break }
            let body = Array(buffer[(offset + 4)..<(offset + 4 + length)])
            offset += 4 + length
            if let record = try? WireDecoder().decode(LogRecord.self, from: body) {
                records.append(record)
            }
        }
        if offset > 0 { buffer.removeFirst(offset) }
        return records
    }

    /// Set once a frame was too long to be a record.
    public private(set) var malformed = false
}
