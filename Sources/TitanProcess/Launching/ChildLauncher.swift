import CTitan
import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

/// What to start: the program, its arguments and environment, and the descriptors it inherits.
package struct LaunchRequest: Sendable {
    /// Absolute path of the program; also its `argv[0]`.
    package var executable: String
    /// When set, the child runs this open file instead of whatever `executable` names now.
    package var image: ExecutableImage?
    /// `argv[1...]`.
    package var arguments: [String]
    /// The child's whole environment.
    package var environment: [String: String]
    package var workingDirectory: String?
    /// Descriptors of this process to install in the child at the given numbers. Every other
    /// descriptor above 2 is closed in the child, whether or not it was close-on-exec.
    package var descriptors: [(parentFD: Int32, childFD: Int32)]
    /// Starts the child in a process group of its own, so a terminal's Ctrl-C reaches only
    /// the parent, which then stops its children in order.
    package var newProcessGroup: Bool
    /// Resource limits set in the child before it runs the program.
    package var limits: [RlimitSetting]

    package init(
        executable: String,
        arguments: [String] = [],
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        descriptors: [(parentFD: Int32, childFD: Int32)] = [],
        newProcessGroup: Bool = true,
        image: ExecutableImage? = nil,
        limits: [RlimitSetting] = []
    ) {
        self.executable = executable
        self.image = image
        self.limits = limits
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.descriptors = descriptors
        self.newProcessGroup = newProcessGroup
    }
}

/// One `setrlimit` for a child: `resource` is an `RLIMIT_*` constant.
package struct RlimitSetting: Sendable, Hashable {
    package var resource: Int32
    package var soft: UInt64
    package var hard: UInt64

    package init(resource: Int32, soft: UInt64, hard: UInt64) {
        self.resource = resource
        self.soft = soft
        self.hard = hard
    }
}

/// Why a child could not be started.
package struct SpawnFailure: Error, Sendable, CustomStringConvertible {
    package var executable: String
    package var errno: Int32
    /// What the child was doing when it failed, when it got that far ("exec", "chdir", ...).
    package var stage: String?

    package init(executable: String, errno: Int32, stage: String? = nil) {
        self.executable = executable
        self.errno = errno
        self.stage = stage
    }

    package var description: String {
        let what = switch errno {
        case ENOENT: "\(executable): no such file"
        case EACCES: "\(executable): not executable (permission denied)"
        default: "\(executable): \(String(cString: strerror(errno)))"
        }
        return stage.map { "\(what) (at \($0))" } ?? what
    }
}

/// Starts child processes (`titan_spawn`: clone + exec, as `posix_spawn` does, but able to
/// execute an open file), always from one long-lived thread.
///
/// Children ask for PR_SET_PDEATHSIG, which fires when the *thread* that created them exits,
/// not the process. Swift's pool threads may exit when idle, so spawning from them could kill
/// healthy children; this thread lives as long as the process.
package final class ChildLauncher: Sendable {
    private struct Job: Sendable {
        var request: LaunchRequest
        var continuation: UnsafeContinuation<Int32, any Error>
    }

    package static let shared = ChildLauncher()

    private let queue = Mutex<[Job]>([])
    private let wakeup = Semaphore()
    private let thread = LazyThread(name: "titan-launcher")

    private init() {}

    /// Starts `request`'s program and returns its pid. The caller must watch it with the
    /// ``ExitWatcher`` so it is reaped.
    package func launch(_ request: LaunchRequest) async throws -> Int32 {
        try await withUnsafeThrowingContinuation { continuation in
            queue.withLock { $0.append(Job(request: request, continuation: continuation)) }
            thread.start { [self] in run() }
            wakeup.signal()
        }
    }

    private func run() {
        while true {
            wakeup.wait()
            while let job = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                do {
                    job.continuation.resume(returning: try Self.spawn(job.request))
                } catch {
                    job.continuation.resume(throwing: error)
                }
            }
        }
    }

    private static func spawn(_ request: LaunchRequest) throws(SpawnFailure) -> Int32 {
        let argv = ([request.executable] + request.arguments).map { strdup($0) } + [nil]
        let envp = request.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        let fds = request.descriptors.map { titan_spawn_fd(parent_fd: $0.parentFD, child_fd: $0.childFD) }
        let limits = request.limits.map { titan_spawn_limit(resource: $0.resource, soft: $0.soft, hard: $0.hard) }
        var pid: Int32 = 0
        var stage: Int32 = 0
        // The image stays open (and its descriptor valid) until the child has exec'd.
        let rc = withExtendedLifetime(request.image) {
            request.executable.withCString { path in
                (request.workingDirectory ?? "").withCString { directory in
                    fds.withUnsafeBufferPointer { fds in
                        limits.withUnsafeBufferPointer { limits in
                            argv.withUnsafeBufferPointer { argv in
                                envp.withUnsafeBufferPointer { envp in
                                    var spawn = titan_spawn_request(
                                        path: path,
                                        exec_fd: request.image?.descriptor ?? -1,
                                        argv: argv.baseAddress,
                                        envp: envp.baseAddress,
                                        fds: fds.baseAddress,
                                        fd_count: Int32(fds.count),
                                        working_directory: request.workingDirectory == nil ? nil : directory,
                                        new_process_group: request.newProcessGroup ? 1 : 0,
                                        limits: limits.baseAddress,
                                        limit_count: Int32(limits.count)
                                    )
                                    return titan_spawn(&spawn, &pid, &stage)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard rc == 0 else {
            throw SpawnFailure(executable: request.executable, errno: rc, stage: Self.stageName(stage))
        }
        return pid
    }

    private static func stageName(_ stage: Int32) -> String? {
        switch UInt32(stage) {
        case TITAN_SPAWN_STAGE_PROCESS_GROUP.rawValue: "setpgid"
        case TITAN_SPAWN_STAGE_LIMITS.rawValue: "setrlimit"
        case TITAN_SPAWN_STAGE_DESCRIPTORS.rawValue: "installing descriptors"
        case TITAN_SPAWN_STAGE_DIRECTORY.rawValue: "chdir"
        case TITAN_SPAWN_STAGE_CLONE.rawValue: "clone"
        default: nil
        }
    }
}
