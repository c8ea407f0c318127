import Distributed
import Synchronization
import TitanPM

/// Records, in the process that hosts it, every call served there: a serving-side interceptor.
public final class ServedCallLog: CallInterceptor {
    public static let shared = ServedCallLog()

    private let entries = Mutex<[String]>([])

    public func interceptIncoming(_ call: IncomingCall, next: (IncomingCall) async throws -> CallReply) async throws -> CallReply {
        do {
            let reply = try await next(call)
            entries.withLock { $0.append("\(call.target.methodName) ok") }
            return reply
        } catch {
            entries.withLock { $0.append("\(call.target.methodName) failed") }
            throw error
        }
    }

    public var served: [String] { entries.withLock { $0 } }
}

/// Thrown by ``ContextProbe/flaky(failures:)`` until it has failed enough times.
public struct FlakyFailure: Error, Codable, Sendable, Hashable {
    public var attempt: Int
}

/// Reports what the serving side of a call sees: the caller's deadline and metadata.
public distributed actor ContextProbe: ProcessService {
    public static let name = "probe"
    public static var interceptors: [any CallInterceptor] { [ServedCallLog.shared] }

    private var attempts = 0

    /// How long the caller will still wait, on this process's clock; nil without a deadline.
    public distributed func deadlineRemaining() -> Duration? {
        ProcessActorSystem.currentCallDeadline.map { SystemClock.shared.remaining(until: $0) }
    }

    /// The value the call carried under `key`.
    public distributed func metadata(_ key: String) -> String? {
        ProcessActorSystem.currentCall?.metadata[key]
    }

    /// Fails `failures` times, then returns the number of attempts.
    public distributed func flaky(failures: Int) throws -> Int {
        attempts += 1
        if attempts <= failures { throw FlakyFailure(attempt: attempts) }
        return attempts
    }

    /// What this process's serving-side interceptor has seen, oldest first.
    public distributed func served() -> [String] {
        ServedCallLog.shared.served
    }
}
