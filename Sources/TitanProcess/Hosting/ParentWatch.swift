import CTitan
import Glibc
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

/// The child's guarantee that it does not outlive its parent.
///
/// Twice over: PR_SET_PDEATHSIG asks the kernel for SIGKILL when the parent goes, and a thread
/// blocks reading the control socket, whose other end only the parent holds — the kernel
/// closes it when the parent dies, however it dies, and the read returns end-of-file.
package enum ParentWatch {
    /// Arms both watches. Exits at once if the parent is already gone.
    package static func start(controlFD: Int32, expectedParent: Int32) {
        _ = titan_set_parent_death_signal(SIGKILL)
        // The parent may have died before prctl took effect; then we were re-parented already.
        if getppid() != expectedParent { _exit(0) }
        startDetachedThread(name: "titan-parent") {
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let n = read(controlFD, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                // The parent writes nothing after the configuration; anything else is its end.
                if n <= 0 { _exit(0) }
            }
        }
    }
}
