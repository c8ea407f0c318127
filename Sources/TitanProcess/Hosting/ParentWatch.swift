import CTitan
import Glibc
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

/// The child's guarantee that it does not outlive its parent.
///
/// Twice over: PR_SET_PDEATHSIG asks the kernel for SIGKILL when the parent goes, and a thread
/// waits for the control socket to hang up — only the parent holds its other end, and the
/// kernel closes it when the parent dies, however it dies. The thread polls for the hang-up
/// without reading, because the same socket carries the manager's calls.
package enum ParentWatch {
    /// POLLRDHUP (Linux; Glibc exports it only under _GNU_SOURCE): the peer closed its end.
    private static let peerHangUp: Int16 = 0x2000

    /// Arms both watches. Exits at once if the parent is already gone.
    package static func start(controlFD: Int32, expectedParent: Int32) {
        _ = titan_set_parent_death_signal(SIGKILL)
        // The parent may have died before prctl took effect; then we were re-parented already.
        if getppid() != expectedParent { _exit(0) }
        startDetachedThread(name: "titan-parent") {
            var pollfd = Glibc.pollfd(fd: controlFD, events: peerHangUp, revents: 0)
            while true {
                pollfd.revents = 0
                let rc = poll(&pollfd, 1, -1)
                if rc < 0 && errno == EINTR { continue }
                // POLLHUP and POLLERR are reported whether asked for or not.
                if rc < 0 || pollfd.revents & (peerHangUp | Int16(POLLHUP | POLLERR | POLLNVAL)) != 0 { _exit(0) }
            }
        }
    }
}
