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

    package init(
        executable: String,
        arguments: [String] = [],
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        descriptors: [(parentFD: Int32, childFD: Int32)] = [],
        newProcessGroup: Bool = true
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.descriptors = descriptors
        self.newProcessGroup = newProcessGroup
    }
}

/// Why a child could not be started.
package struct SpawnFailure: Error, Sendable, CustomStringConvertible {
    package var executable: String
    package var errno: Int32

    package var description: String {
        switch errno {
        case ENOENT: "\(executable): no such file"
        case EACCES: "\(executable): not executable (permission denied)"
        default: "\(executable): \(String(cString: strerror(errno)))"
        }
    }
}

/// Starts child processes with `posix_spawn`, always from one long-lived thread.
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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 onto a number that is itself a source would clobber it: move every source out of
        // the way first (to numbers above all targets), then into place.
        let high = max((request.descriptors.map(\.childFD).max() ?? 2) + 1, 3)
        for (index, pair) in request.descriptors.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, pair.parentFD, high + Int32(index))
        }
        for (index, pair) in request.descriptors.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, high + Int32(index), pair.childFD)
        }
        titan_spawn_add_closefrom(&actions, high)
        if let directory = request.workingDirectory {
            titan_spawn_add_chdir(&actions, directory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if request.newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        sigdelset(&allSignals, SIGKILL)
        sigdelset(&allSignals, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)

        let argv = ([request.executable] + request.arguments).map { strdup($0) } + [nil]
        let envp = request.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: Int32 = 0
        let rc = posix_spawn(&pid, request.executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw SpawnFailure(executable: request.executable, errno: rc) }
        return pid
    }
}
