/// One reply line: a result, an error, or the end of a stream.
///
/// ```json
/// {"id":1,"ok":true,"result":{...}}
/// {"id":2,"ok":false,"error":{"code":"unknownName","message":"no process, pool, supervisor or service named x"}}
/// {"id":4,"ok":true,"end":true}
/// ```
///
/// A request with `follow` gets one reply per item until the client closes the connection or
/// the manager shuts down, which ends the stream with an `end` line.
public struct AdminReply<Result: Codable & Sendable>: Codable, Sendable {
    /// The request's id, echoed.
    public var id: Int?
    /// Whether the request succeeded.
    public var ok: Bool
    /// The operation's result; nil in an error reply and at the end of a stream.
    public var result: Result?
    /// Why the request failed.
    public var error: AdminError?
    /// Set on the last line of a stream.
    public var end: Bool?

    /// A successful reply.
    public static func success(_ result: Result, id: Int?) -> AdminReply {
        AdminReply(id: id, ok: true, result: result, error: nil, end: nil)
    }

    /// A failed reply.
    public static func failure(_ error: AdminError, id: Int?) -> AdminReply {
        AdminReply(id: id, ok: false, result: nil, error: error, end: nil)
    }

    /// The last line of a stream.
    public static func endOfStream(id: Int?) -> AdminReply {
        AdminReply(id: id, ok: true, result: nil, error: nil, end: true)
    }
}

/// A reply without a result, for errors and the end of a stream.
public struct NoResult: Codable, Sendable, Hashable {
    /// An empty result.
    public init() {}
}
