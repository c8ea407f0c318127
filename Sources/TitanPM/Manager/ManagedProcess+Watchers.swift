import TitanCore
import TitanProcess

// What a running incarnation is watched for besides its exit: memory over its limit, and
// heartbeats it stops answering. Either ends it with SIGKILL and a reason; its exit then goes
// the way of any crash (restart policy, events, failed calls).
extension ManagedProcess {
    /// Samples the incarnation's resident memory every ``ResourceLimits/memoryCheckInterval``
    /// while it lives, and kills it once it is over ``ResourceLimits/memory``.
    func watchMemory(of child: ChildProcess) {
        let limits = options.limits
        guard limits.memory != nil else { return }
        clock.schedule(at: clock.deadline(after: limits.memoryCheckInterval)) { [weak self, weak child] in
            guard let self, let child, child.termination == nil else { return }
            if let resident = ProcFS.residentBytes(of: child.pid), let exceeded = limits.memoryExceeded(resident: resident) {
                child.signal(.kill, reason: exceeded)
            } else {
                watchMemory(of: child)
            }
        }
    }
}
