/// An error raised by the Titan runtime, on either side of a call.
///
/// Errors a service throws on purpose arrive as themselves when they are `Codable`, and as
/// ``Code/remote`` otherwise; every other code is the runtime's.
///
/// Match on ``code`` — a set that grows without breaking a `switch` that has a `default`:
///
/// ```swift
/// do {
///     try await calc.add(1, 2)
/// } catch let error as ProcessError where error.code == .processExited {
///     print("the child died: \(error.termination!)")   // a restart policy may bring it back
/// } catch let error as ProcessError where error.code == .timedOut {
///     ...
/// }
/// ```
///
/// The properties that apply to a code are set (``process`` and ``termination`` for
/// ``Code/processExited``, ``timeout`` for ``Code/timedOut``, ...); ``message`` says what
/// happened in words, and ``cause`` keeps the underlying error when there is one.
public struct ProcessError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// What went wrong, as a value code can compare. New codes may be added in any release.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        /// The code's name, as it travels over the wire and appears in logs (`processExited`).
        public let rawValue: String

        /// The code named `rawValue`. Use the static members; a name this version does not
        /// know (sent by a newer peer) compares unequal to all of them.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The process ended while the call was in flight. ``ProcessError/termination`` says
        /// how, ``ProcessError/lastOutput`` what it last wrote to standard error. Retrying after
        /// a restart may succeed; the callee's state is lost.
        public static let processExited = Code(rawValue: "processExited")
        /// The callee threw an error that is not `Codable` (or whose type this process does
        /// not have): ``ProcessError/remoteType`` and ``ProcessError/message`` describe it.
        public static let remote = Code(rawValue: "remote")
        /// No reply within the call's timeout (``ProcessError/timeout``). The call may still
        /// have run in the callee.
        public static let timedOut = Code(rawValue: "timedOut")
        /// The callee has no distributed function with this identifier, or not on the actor
        /// it hosts: the two sides were built from different versions of the service.
        public static let unknownTarget = Code(rawValue: "unknownTarget")
        /// No actor with this id is hosted where the call went (released, or never existed).
        public static let unknownActor = Code(rawValue: "unknownActor")
        /// The callee could not decode the call's arguments; the method did not run.
        public static let invalidArguments = Code(rawValue: "invalidArguments")
        /// The caller could not decode the reply.
        public static let invalidReply = Code(rawValue: "invalidReply")
        /// A value could not be encoded for the wire.
        public static let encodingFailed = Code(rawValue: "encodingFailed")
        /// A frame exceeded the connection's size limit (``ProcessError/limit``) and was not delivered.
        public static let messageTooLarge = Code(rawValue: "messageTooLarge")
        /// The peer sent bytes that are not Titan frames; the connection was closed.
        public static let protocolViolation = Code(rawValue: "protocolViolation")
        /// The connection to the process broke while the process kept running.
        public static let connectionLost = Code(rawValue: "connectionLost")
        /// The child could not be started, or exited before it was ready.
        public static let startFailed = Code(rawValue: "startFailed")
        /// The executable to start does not exist or may not be executed.
        public static let executableNotFound = Code(rawValue: "executableNotFound")
        /// The child did not report ready within `SpawnOptions.startTimeout` (``ProcessError/timeout``).
        public static let startTimedOut = Code(rawValue: "startTimedOut")
        /// The child runs another build of its program than the one it was started from (the
        /// file was rewritten in place after the manager opened it): it was refused before
        /// taking calls. Start it again after a reload, or restore the file.
        public static let imageMismatch = Code(rawValue: "imageMismatch")
        /// The service's `configure(_:)` threw, or its configuration could not be decoded.
        public static let configurationFailed = Code(rawValue: "configurationFailed")
        /// The call never reached a process: it is not running and will not run again —
        /// stopped, or crashed without a restart (its restart policy has none, or they are used
        /// up). ``ProcessError/status`` is `stopped` or `failed`; ``ProcessError/termination``
        /// says how it last ended, when it has. (Calls in flight when it died get
        /// ``processExited`` instead.)
        public static let notRunning = Code(rawValue: "notRunning")
        /// The manager has no process with this id.
        public static let unknownProcess = Code(rawValue: "unknownProcess")
        /// The child's executable hosts no service with this name.
        public static let serviceNotFound = Code(rawValue: "serviceNotFound")
        /// The process is shutting down and accepts no new calls.
        public static let shuttingDown = Code(rawValue: "shuttingDown")
        /// The operation does not apply here (for example `kill` on an in-process service).
        public static let unsupported = Code(rawValue: "unsupported")
        /// The producer of this stream is gone: it was already consumed, or never claimed in time.
        public static let unknownStream = Code(rawValue: "unknownStream")

        /// The code's name.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// What happened, in words a user can act on.
    public var message: String
    /// The process involved, when one is.
    public var process: ProcessID?
    /// How the process ended, for ``Code/processExited``.
    public var termination: Termination?
    /// The process's status, for ``Code/notRunning``.
    public var status: ProcessStatus?
    /// The timeout that ran out, for ``Code/timedOut`` and ``Code/startTimedOut``.
    public var timeout: Duration?
    /// The remote error's type name, for ``Code/remote``.
    public var remoteType: String?
    /// The size limit, for ``Code/messageTooLarge``.
    public var limit: Int?
    /// For ``Code/processExited``: what the process last wrote to its standard error before
    /// it ended, when it wrote anything — a Swift trap's "Fatal error: ..." line.
    public var lastOutput: String?
    /// The error underneath, when there is one (a failed system call, the service's own
    /// error from `configure`). It stays in this process: it is not sent over the wire and
    /// does not take part in `==`.
    public var cause: (any Error & Sendable)?

    /// An error with `code`, `message` and whatever else applies.
    public init(
        _ code: Code,
        _ message: String,
        process: ProcessID? = nil,
        termination: Termination? = nil,
        status: ProcessStatus? = nil,
        timeout: Duration? = nil,
        remoteType: String? = nil,
        limit: Int? = nil,
        lastOutput: String? = nil,
        cause: (any Error & Sendable)? = nil
    ) {
        self.lastOutput = lastOutput
        self.code = code
        self.message = message
        self.process = process
        self.termination = termination
        self.status = status
        self.timeout = timeout
        self.remoteType = remoteType
        self.limit = limit
        self.cause = cause
    }

    /// The ``message``.
    public var description: String { message }

    private enum CodingKeys: String, CodingKey {
        case code, message, process, termination, status, timeout, remoteType, limit, lastOutput
    }

    /// Whether two errors have the same code, message and details; ``cause`` is not compared.
    public static func == (lhs: ProcessError, rhs: ProcessError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.process == rhs.process
            && lhs.termination == rhs.termination && lhs.status == rhs.status && lhs.timeout == rhs.timeout
            && lhs.remoteType == rhs.remoteType && lhs.limit == rhs.limit && lhs.lastOutput == rhs.lastOutput
    }

    /// Hashes the code, message, process and termination (consistent with `==`).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(process)
        hasher.combine(termination)
    }
}

extension ProcessError {
    /// Process `id` ended with `termination` while a call was in flight or about to be sent;
    /// `lastOutput` is what it last wrote to its standard error (a trap's message), if known.
    public static func processExited(_ id: ProcessID, _ termination: Termination, lastOutput: String? = nil) -> ProcessError {
        ProcessError(
            .processExited, "process \(id) exited (\(termination))" + (lastOutput.map { ": \($0)" } ?? ""),
            process: id, termination: termination, lastOutput: lastOutput
        )
    }

    /// The callee threw a non-`Codable` error of type `type`.
    public static func remote(type: String, message: String) -> ProcessError {
        ProcessError(.remote, message, remoteType: type)
    }

    /// No reply within `timeout`.
    public static func timedOut(after timeout: Duration) -> ProcessError {
        ProcessError(.timedOut, "call timed out after \(timeout)", timeout: timeout)
    }

    /// The callee has no distributed function `target` on the actor it hosts.
    public static func unknownTarget(_ target: String) -> ProcessError {
        ProcessError(.unknownTarget, "the actor called has no distributed function \(target) (was it resolved or spawned as another type, or built from another version?)")
    }

    /// No actor `id` is hosted where the call went.
    public static func unknownActor(_ id: ProcessActorID) -> ProcessError {
        ProcessError(.unknownActor, "no actor \(id) is hosted there", process: id.process)
    }

    /// The callee could not decode the arguments.
    public static func invalidArguments(_ why: String) -> ProcessError {
        ProcessError(.invalidArguments, "the callee could not decode the arguments: \(why)")
    }

    /// The caller could not decode the reply.
    public static func invalidReply(_ why: String) -> ProcessError {
        ProcessError(.invalidReply, "could not decode the reply: \(why)")
    }

    /// A value could not be encoded.
    public static func encodingFailed(_ why: String) -> ProcessError {
        ProcessError(.encodingFailed, "could not encode a value: \(why)")
    }

    /// A frame of `size` bytes exceeded `limit`.
    public static func messageTooLarge(size: Int, limit: Int) -> ProcessError {
        ProcessError(.messageTooLarge, "message of \(size) bytes exceeds the limit of \(limit) bytes", limit: limit)
    }

    /// The peer broke the protocol.
    public static func protocolViolation(_ why: String) -> ProcessError {
        ProcessError(.protocolViolation, "protocol violation: \(why)")
    }

    /// The connection broke while the process kept running.
    public static func connectionLost(_ why: String) -> ProcessError {
        ProcessError(.connectionLost, "connection lost: \(why)")
    }

    /// The child could not be started or did not become ready.
    public static func startFailed(_ why: String, cause: (any Error & Sendable)? = nil) -> ProcessError {
        ProcessError(.startFailed, "process failed to start: \(why)", cause: cause)
    }

    /// The child reported running `reported`, not the program `expected` it was started from.
    public static func imageMismatch(expected: String, reported: String) -> ProcessError {
        ProcessError(
            .imageMismatch,
            "process failed to start: the child runs another build than the one it was started from: expected \(expected), the child reports \(reported) (the file was rewritten in place; reload, or restore the file)"
        )
    }

    /// Process `id` is not running and will not run again; `lastExit`, when known, is how its
    /// last incarnation ended (``ProcessError/termination``).
    public static func notRunning(_ id: ProcessID, _ status: ProcessStatus, lastExit: Termination? = nil) -> ProcessError {
        ProcessError(
            .notRunning, "process \(id) is not running (\(status)" + (lastExit.map { "; it last ended with \($0))" } ?? ")"),
            process: id, termination: lastExit, status: status
        )
    }

    /// The manager has no process `id`.
    public static func unknownProcess(_ id: ProcessID) -> ProcessError {
        ProcessError(.unknownProcess, "no process \(id)", process: id)
    }

    /// The executable hosts no service named `name`.
    public static func serviceNotFound(_ name: String) -> ProcessError {
        ProcessError(.serviceNotFound, "the executable hosts no service named \(name)")
    }

    /// The process is shutting down.
    public static var shuttingDown: ProcessError {
        ProcessError(.shuttingDown, "the process is shutting down")
    }

    /// The operation does not apply.
    public static func unsupported(_ why: String) -> ProcessError {
        ProcessError(.unsupported, "unsupported: \(why)")
    }

    /// No stream `id` to consume.
    public static func unknownStream(_ id: UInt64) -> ProcessError {
        ProcessError(.unknownStream, "no stream \(id) to consume (already consumed, or expired)")
    }
}
