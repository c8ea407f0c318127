import Glibc

/// A POSIX signal, as sent by `ProcessManager.kill(_:signal:)` or reported in a ``Termination``.
///
/// Any signal number can be wrapped with ``init(rawValue:)``; the common ones have names.
public struct Signal: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The Linux signal number (`SIGKILL` is 9).
    public let rawValue: Int32

    /// The signal numbered `rawValue`; any number is accepted, and sending one the kernel
    /// does not know fails where it is sent.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// `SIGHUP`: the controlling terminal hung up; daemons often take it as "reload".
    public static let hangup = Signal(rawValue: SIGHUP)
    /// `SIGINT`: an interrupt from the keyboard (Ctrl-C).
    public static let interrupt = Signal(rawValue: SIGINT)
    /// `SIGQUIT`: a quit from the keyboard (Ctrl-Backslash), with a core dump.
    public static let quit = Signal(rawValue: SIGQUIT)
    /// `SIGILL`: an illegal instruction; how a Swift trap (`fatalError`, a failed
    /// force-unwrap, an index out of range) ends a process on x86-64.
    public static let illegalInstruction = Signal(rawValue: SIGILL)
    /// `SIGTRAP`: a trace or breakpoint trap; how a Swift trap ends a process on arm64.
    public static let trap = Signal(rawValue: SIGTRAP)
    /// `SIGABRT`: `abort()` was called, for example by a failed C assertion.
    public static let abort = Signal(rawValue: SIGABRT)
    /// `SIGBUS`: a bad memory access (misaligned, or past the end of a mapped file).
    public static let busError = Signal(rawValue: SIGBUS)
    /// `SIGFPE`: an arithmetic fault, such as an integer division by zero in C code.
    public static let floatingPointException = Signal(rawValue: SIGFPE)
    /// `SIGKILL`: ends the process at once; it cannot be caught, so no cleanup runs.
    /// The default of `ProcessManager.kill(_:signal:)`.
    public static let kill = Signal(rawValue: SIGKILL)
    /// `SIGUSR1`: for the program's own use.
    public static let user1 = Signal(rawValue: SIGUSR1)
    /// `SIGSEGV`: an invalid memory reference.
    public static let segmentationFault = Signal(rawValue: SIGSEGV)
    /// `SIGUSR2`: for the program's own use.
    public static let user2 = Signal(rawValue: SIGUSR2)
    /// `SIGPIPE`: a write to a pipe or socket with no reader.
    public static let pipe = Signal(rawValue: SIGPIPE)
    /// `SIGALRM`: a timer set with `alarm()` expired.
    public static let alarm = Signal(rawValue: SIGALRM)
    /// `SIGTERM`: a polite request to terminate; a Titan child drains its calls, runs its
    /// service's shutdown hook and exits 0 when it receives one.
    public static let terminate = Signal(rawValue: SIGTERM)
    /// `SIGCONT`: resumes a process stopped with ``stop``.
    public static let `continue` = Signal(rawValue: SIGCONT)
    /// `SIGSTOP`: suspends the process until ``continue``; it cannot be caught. A stopped
    /// child does not exit, so calls to it wait until their timeout.
    public static let stop = Signal(rawValue: SIGSTOP)

    private static let names: [Int32: String] = [
        SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
        SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
        SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
        SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP", SIGXCPU: "SIGXCPU",
        SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS",
    ]

    /// The signal's C name (`SIGKILL`), or `signal N` for a number without one here.
    public var description: String { Self.names[rawValue] ?? "signal \(rawValue)" }
}

/// How a child process ended.
public enum Termination: Sendable, Hashable, Codable, CustomStringConvertible {
    /// It called `exit` (or returned from `main`) with this code.
    case exited(code: Int32)
    /// A signal ended it: SIGKILL from a kill, SIGILL or SIGTRAP from a Swift trap, SIGSEGV...
    case signaled(Signal)

    /// Exit code 0.
    public var isSuccess: Bool { self == .exited(code: 0) }

    /// `exit code N` or `signal SIGNAME`.
    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal): "signal \(signal)"
        }
    }
}
