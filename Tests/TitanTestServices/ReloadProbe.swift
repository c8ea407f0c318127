import Distributed
import Glibc
import TitanPM
import TitanPMMacros

/// A service to reload: its answers say which incarnation (pid) served them, and its
/// environment makes a build that is unhealthy or exits soon after it is ready.
///
/// - `TITAN_RELOAD_PROBE_HEALTH=unhealthy`: ``health()`` reports unhealthy.
/// - `TITAN_RELOAD_PROBE_CRASH_AT_START=1`: the service traps as it is created.
/// - `TITAN_RELOAD_PROBE_EXIT_AFTER_MS=N`: the process exits with status 3 N ms after it starts.
@ServiceContract
public distributed actor ReloadProbe: ProcessService {
    public static let name = "reload-probe"

    public init(actorSystem: ProcessActorSystem) {
        self.actorSystem = actorSystem
        if getenv("TITAN_RELOAD_PROBE_CRASH_AT_START") != nil { fatalError("told to crash at start") }
        if let text = getenv("TITAN_RELOAD_PROBE_EXIT_AFTER_MS"), let milliseconds = Int(String(cString: text)) {
            Task.detached {
                try? await Task.sleep(for: .milliseconds(milliseconds))
                exit(3)
            }
        }
    }

    /// The pid of the process serving the call.
    public distributed func pid() -> Int32 { getpid() }

    /// Suspends for `milliseconds`, then returns `value` and the pid that served it.
    public distributed func work(_ value: Int, milliseconds: Int) async throws -> ProbeAnswer {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return ProbeAnswer(value: value, pid: getpid())
    }

    /// `count` values, one every `milliseconds`, each the pid that produced it.
    public distributed func ticks(_ count: Int, every milliseconds: Int) -> RemoteStream<Int32> {
        RemoteStream { out in
            for _ in 0..<count {
                try await Task.sleep(for: .milliseconds(milliseconds))
                try await out.yield(getpid())
            }
        }
    }

    public func health() async -> HealthStatus {
        guard let value = getenv("TITAN_RELOAD_PROBE_HEALTH"), String(cString: value) == "unhealthy" else { return .healthy }
        return HealthStatus(.unhealthy, message: "told to be unhealthy")
    }
}

/// What ``ReloadProbe/work(_:milliseconds:)`` answers.
public struct ProbeAnswer: Codable, Sendable, Hashable {
    public var value: Int
    public var pid: Int32

    public init(value: Int, pid: Int32) {
        self.value = value
        self.pid = pid
    }
}
