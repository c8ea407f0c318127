import FoundationEssentials
import TitanAdminAPI

/// What the controller answers a request with: JSON documents ready to send, each a whole
/// ``/TitanAdminAPI/AdminReply``. The socket server writes each on a line; the dashboard sends
/// one as an HTTP body, or a stream as server-sent events.
package enum AdminOutcome: Sendable {
    /// One reply.
    case reply([UInt8])
    /// Replies until the stream ends (its last document is the end marker) or the consumer
    /// stops iterating.
    case stream(AsyncStream<[UInt8]>)

    static func success<Result: Codable & Sendable>(_ result: Result, id: Int?) -> AdminOutcome {
        .reply(encode(AdminReply.success(result, id: id)))
    }

    static func failure(_ error: AdminError, id: Int?) -> AdminOutcome {
        .reply(encode(AdminReply<NoResult>.failure(error, id: id)))
    }

    /// Each element of `items` as a reply, then the end marker, or an error reply if `items` fails.
    static func stream<Items: AsyncSequence & Sendable>(_ items: Items, id: Int?) -> AdminOutcome where Items.Element: Codable & Sendable {
        .stream(AsyncStream { continuation in
            let task = Task {
                do {
                    for try await item in items {
                        continuation.yield(encode(AdminReply.success(item, id: id)))
                    }
                    continuation.yield(encode(AdminReply<NoResult>.endOfStream(id: id)))
                } catch let error as AdminError {
                    continuation.yield(encode(AdminReply<NoResult>.failure(error, id: id)))
                } catch is CancellationError {
                } catch {
                    continuation.yield(encode(AdminReply<NoResult>.failure(AdminError(.failed, "\(error)"), id: id)))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        })
    }

    static func encode<Result: Codable & Sendable>(_ reply: AdminReply<Result>) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try [UInt8](encoder.encode(reply))
        } catch {
            // Only a non-finite Double can fail here; say so rather than send nothing.
            let fallback = AdminReply<NoResult>.failure(AdminError(.failed, "cannot encode the reply: \(error)"), id: reply.id)
            return (try? [UInt8](encoder.encode(fallback))) ?? Array(#"{"ok":false}"#.utf8)
        }
    }
}
