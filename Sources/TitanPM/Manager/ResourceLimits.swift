import Glibc
import TitanCore
import TitanProcess

/// Bounds on what one child process may use (``SpawnOptions/limits``); every incarnation
/// gets them anew.
///
/// ```swift
/// SpawnOptions(limits: ResourceLimits(memory: 512 << 20, cpuTime: .seconds(60), openFiles: 256),
///              restartPolicy: .onFailure())
/// ```
///
/// How each is enforced, and what a process that crosses one sees:
/// - ``memory``: the manager samples the child's resident memory (RSS, from `/proc`) every
///   ``memoryCheckInterval`` and kills it (SIGKILL) once it is over the limit — PM2's
///   `max_memory_restart`. The exit is a crash: the restart policy applies, calls in flight
///   fail with ``/TitanCore/ProcessError/Code/processExited``, and the `crashed` event's
///   ``ProcessEvent/reason`` says which limit was crossed. (A sample can miss a spike
///   shorter than the interval; the kernel bounds RSS only through cgroups, which this
///   version does not manage.)
/// - ``cpuTime``: `RLIMIT_CPU`, set in the child before it runs: at the limit (whole seconds,
///   rounded up) the kernel ends it with SIGXCPU (SIGKILL a second later), reported the same way.
/// - ``openFiles``: `RLIMIT_NOFILE`: opening one more fails with `EMFILE` in the child, which
///   keeps running.
public struct ResourceLimits: Sendable, Hashable {
    /// The most resident memory, in bytes, before the process is killed (and restarted by its
    /// policy); nil for no limit.
    public var memory: Int?
    /// How often resident memory is sampled against ``memory``.
    public var memoryCheckInterval: Duration
    /// The most CPU time (user + system) one incarnation may use; nil for no limit.
    public var cpuTime: Duration?
    /// The most descriptors the process may have open; nil keeps the parent's limit.
    public var openFiles: Int?

    /// Limits as given; nil leaves a resource unbounded.
    public init(memory: Int? = nil, memoryCheckInterval: Duration = .seconds(1), cpuTime: Duration? = nil, openFiles: Int? = nil) {
        self.memory = memory
        self.memoryCheckInterval = memoryCheckInterval
        self.cpuTime = cpuTime
        self.openFiles = openFiles
    }

    /// No limits.
    public static let none = ResourceLimits()

    /// The `setrlimit` calls the child makes before it runs.
    var rlimits: [RlimitSetting] {
        var settings: [RlimitSetting] = []
        if let cpuTime {
            let seconds = UInt64(max(1, (cpuTime.components.seconds) + (cpuTime.components.attoseconds > 0 ? 1 : 0)))
            settings.append(RlimitSetting(resource: Int32(RLIMIT_CPU.rawValue), soft: seconds, hard: seconds + 1))
        }
        if let openFiles {
            let count = UInt64(max(openFiles, 4))
            settings.append(RlimitSetting(resource: Int32(RLIMIT_NOFILE.rawValue), soft: count, hard: count))
        }
        return settings
    }

    /// Why an incarnation that ended with `termination` ended, if a limit explains it.
    func explain(_ termination: Termination) -> String? {
        if let cpuTime, termination == .signaled(Signal(rawValue: SIGXCPU)) {
            return "CPU time limit exceeded (\(cpuTime))"
        }
        return nil
    }

    /// Why a process with `resident` bytes is killed, or nil if it is within its memory limit.
    func memoryExceeded(resident: Int) -> String? {
        guard let memory, resident > memory else { return nil }
        return "memory limit exceeded: \(resident >> 20) MiB resident, over the limit of \(memory >> 20) MiB"
    }
}
