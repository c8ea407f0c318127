import Synchronization

/// The dashboard's open event streams: each reply becomes a server-sent event, a comment
/// line every 15 seconds shows a dead browser up (the write fails), and stopping the
/// dashboard ends them all so the server can shut down.
final class StreamRegistry: Sendable {
    private let state = Mutex<(next: Int, open: [Int: AsyncStream<[UInt8]>.Continuation], finished: Bool)>((0, [:], false))

    /// Server-sent events carrying `documents`, ended by ``finishAll()`` at the latest.
    func register(_ documents: AsyncStream<[UInt8]>) -> AsyncStream<[UInt8]> {
        let (events, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(4096))
        let key = state.withLock { state -> Int? in
            guard !state.finished else { return nil }
            defer { state.next += 1 }
            state.open[state.next] = continuation
            return state.next
        }
        guard let key else {
            continuation.finish()
            return events
        }
        let forward = Task {
            for await document in documents {
                continuation.yield(Array("data: ".utf8) + document + Array("\n\n".utf8))
            }
            continuation.finish()
        }
        let keepAlive = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(15))
                continuation.yield(Array(": keep-alive\n\n".utf8))
            }
        }
        continuation.onTermination = { [weak self] _ in
            forward.cancel()
            keepAlive.cancel()
            _ = self?.state.withLock { $0.open.removeValue(forKey: key) }
        }
        return events
    }

    func finishAll() {
        let open = state.withLock { state -> [AsyncStream<[UInt8]>.Continuation] in
            state.finished = true
            defer { state.open = [:] }
            return Array(state.open.values)
        }
        for continuation in open { continuation.finish() }
    }
}
