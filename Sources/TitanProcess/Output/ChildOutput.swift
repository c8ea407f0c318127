import CTitan
import Glibc
import TitanCore
import TitanTelemetry

/// Where a line of a child's logs came from.
public enum LogSource: String, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The child's standard output (`print`).
    case stdout
    /// The child's standard error (crash messages, `fatalError`, unbuffered diagnostics).
    case stderr
    /// A swift-log record the child's `Logger` made.
    case log

    public var description: String { rawValue }
}

/// Receives what a child writes, from the thread that reads its pipes.
///
/// Called on that thread, in order per stream; must not block (a slow receiver would stall
/// the child's writes once the pipe fills): copy what you keep, and drop what you cannot keep.
package protocol ChildOutputHandler: AnyObject, Sendable {
    /// One line of `stream`, without its newline; a line longer than
    /// ``ChildOutputReader/maxLineLength`` arrives in pieces.
    func line(_ bytes: UnsafeRawBufferPointer, stream: LogSource)
    /// One record from the child's log pipe.
    func record(_ record: LogRecord)
    /// Every pipe reached its end: the child (and whatever inherited its pipes) closed them.
    func closed()
}

/// The pipes that carry a child's stdout, stderr and log records to this process.
package struct ChildOutputPipes: Sendable {
    /// The child's ends, to install as its descriptors 1, 2 and ``ChildEnvironment/logFD``.
    package var childEnds: [(parentFD: Int32, childFD: Int32)]
    /// This process's ends, with the stream each carries.
    package var readEnds: [(fd: Int32, stream: LogSource)]

    /// Creates the pipes for the streams in `streams`; closes what it made if one fails.
    package static func make(_ streams: [LogSource]) throws -> ChildOutputPipes {
        var pipes = ChildOutputPipes(childEnds: [], readEnds: [])
        for stream in streams {
            var fds: [Int32] = [-1, -1]
            guard titan_pipe_cloexec(&fds) == 0 else {
                let error = ProcessError.startFailed("cannot create the \(stream) pipe: \(String(cString: strerror(errno)))")
                pipes.closeAll()
                throw error
            }
            // A larger pipe absorbs bursts while the reader is scheduled (best effort: the
            // system's pipe-max-size may refuse).
            _ = fcntl(fds[1], 1031 /* F_SETPIPE_SZ */, 1 << 20)
            let childFD: Int32 = switch stream {
            case .stdout: 1
            case .stderr: 2
            case .log: ChildEnvironment.logFD
            }
            pipes.childEnds.append((fds[1], childFD))
            pipes.readEnds.append((fds[0], stream))
        }
        return pipes
    }

    /// Closes this process's copies of the child's ends (after the launch).
    package func closeChildEnds() {
        for end in childEnds { close(end.parentFD) }
    }

    /// Closes everything (a launch that failed).
    package func closeAll() {
        closeChildEnds()
        for end in readEnds { close(end.fd) }
    }
}
