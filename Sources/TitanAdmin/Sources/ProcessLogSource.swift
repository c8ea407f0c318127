import TitanAdminAPI
import TitanPM

/// Where the endpoint gets the lines a process wrote.
package protocol ProcessLogSource: Sendable {
    /// Whether there is anything to read (the manager captures its children's output).
    var isAvailable: Bool { get }
    /// The last `last` lines of process `id`, then, with `follow`, each new one as it is written.
    func lines(of id: ProcessID, last: Int, follow: Bool) -> AsyncThrowingStream<LogEntry, any Error>
}

/// A manager whose children write to the terminal it was started from: nothing to read.
struct NoLogCapture: ProcessLogSource {
    var isAvailable: Bool { false }

    func lines(of id: ProcessID, last: Int, follow: Bool) -> AsyncThrowingStream<LogEntry, any Error> {
        AsyncThrowingStream { continuation in
            continuation.finish(throwing: AdminError(
                .unavailable, "this manager does not capture its processes' output; their lines go to its own standard output and error"
            ))
        }
    }
}
