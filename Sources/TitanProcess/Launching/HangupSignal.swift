import CTitan
import Glibc
import TitanCore

/// SIGHUP as a byte on a pipe: the handler writes one byte per signal to the pipe's write end
/// (non-blocking, async-signal-safe) and does nothing else; the owner reads the other end on a
/// thread of its own. One at a time per process.
package struct HangupSignal: Sendable {
    /// The end to read a byte per SIGHUP from (close-on-exec); the owner closes it.
    package let readEnd: Int32
    /// The end the handler writes to; closed by ``restore()``.
    private let writeEnd: Int32

    /// Creates the pipe and installs the handler, keeping the one it replaces. Throws
    /// ``/TitanCore/ProcessError/Code/unsupported`` when another is installed already, or the
    /// pipe or the handler cannot be set up.
    package static func install() throws -> HangupSignal {
        var fds: [Int32] = [-1, -1]
        guard titan_pipe_cloexec(&fds) == 0 else {
            throw ProcessError.unsupported("cannot create the SIGHUP pipe: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        guard titan_hangup_install(fds[1]) == 0 else {
            let reason = errno == EBUSY ? "SIGHUP is already taken in this process" : String(cString: strerror(errno))
            close(fds[0])
            close(fds[1])
            throw ProcessError.unsupported("cannot reload on SIGHUP: \(reason)")
        }
        return HangupSignal(readEnd: fds[0], writeEnd: fds[1])
    }

    /// Puts back the handler ``install()`` replaced, then closes the write end (so that no
    /// SIGHUP writes to a closed descriptor); the reader then sees the end of the pipe.
    package func restore() {
        titan_hangup_restore()
        close(writeEnd)
    }
}
