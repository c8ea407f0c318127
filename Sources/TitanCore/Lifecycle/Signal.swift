import Glibc

/// A POSIX signal, as sent by ``ProcessManager/kill(_:signal:)`` or reported in an ``Termination``.
public struct Signal: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    public static let hangup = Signal(rawValue: SIGHUP)
    public static let interrupt = Signal(rawValue: SIGINT)
    public static let quit = Signal(rawValue: SIGQUIT)
    public static let illegalInstruction = Signal(rawValue: SIGILL)
    public static let trap = Signal(rawValue: SIGTRAP)
    public static let abort = Signal(rawValue: SIGABRT)
    public static let busError = Signal(rawValue: SIGBUS)
    public static let floatingPointException = Signal(rawValue: SIGFPE)
    public static let kill = Signal(rawValue: SIGKILL)
    public static let user1 = Signal(rawValue: SIGUSR1)
    public static let segmentationFault = Signal(rawValue: SIGSEGV)
    public static let user2 = Signal(rawValue: SIGUSR2)
    public static let pipe = Signal(rawValue: SIGPIPE)
    public static let alarm = Signal(rawValue: SIGALRM)
    public static let terminate = Signal(rawValue: SIGTERM)
    public static let `continue` = Signal(rawValue: SIGCONT)
    public static let stop = Signal(rawValue: SIGSTOP)

    private static let names: [Int32: String] = [
        SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
        SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
        SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
        SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP", SIGXCPU: "SIGXCPU",
        SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS",
    ]

    public var description: String { Self.names[rawValue] ?? "signal \(rawValue)" }

    /// Whether the signal ends a Titan child: SIGKILL, SIGTERM and SIGINT (which a child
    /// answers with a graceful stop), SIGQUIT, SIGABRT and the fault signals. Others (SIGSTOP,
    /// SIGCONT, SIGHUP, SIGUSR1, ...) may be handled or only pause it.
    public var endsProcess: Bool {
        [SIGKILL, SIGTERM, SIGINT, SIGQUIT, SIGABRT, SIGSEGV, SIGILL, SIGTRAP, SIGBUS, SIGFPE].contains(rawValue)
    }
}

/// How a child process ended.
public enum Termination: Sendable, Hashable, Codable, CustomStringConvertible {
    /// It called `exit` (or returned from `main`) with this code.
    case exited(code: Int32)
    /// A signal ended it: SIGKILL from a kill, SIGILL or SIGTRAP from a Swift trap, SIGSEGV...
    case signaled(Signal)

    /// Exit code 0.
    public var isSuccess: Bool { self == .exited(code: 0) }

    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal): "signal \(signal)"
        }
    }
}
