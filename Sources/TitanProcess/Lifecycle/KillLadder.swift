import TitanCore
import TitanWire

/// Stops a child in escalating steps, each with its own deadline: a graceful request on the
/// control channel (the service's shutdown hook runs after its calls drain, and the child
/// exits by the end of the step whatever it is doing), then SIGTERM, then SIGKILL.
package struct KillLadder: Sendable {
    /// How long each of the first two steps may take before the next.
    package var grace: Duration

    /// When set for a task, every ladder run in it has sent SIGKILL by this instant at the
    /// latest: the hard deadline of a whole shutdown, however its steps were sized.
    @TaskLocal package static var deadline: ClockInstant?

    package init(grace: Duration) {
        self.grace = grace
    }

    /// Runs the ladder on `child` and returns how it ended.
    package func stop(_ child: ChildProcess, clock: any RuntimeClock) async -> Termination? {
        child.stopRequested()
        let hard = Self.deadline
        func stepEnd() -> ClockInstant {
            let end = clock.deadline(after: grace)
            return hard.map { min($0, end) } ?? end
        }
        let gracefulEnd = stepEnd()
        let allowed = clock.remaining(until: gracefulEnd)
        // The child's own deadline falls a little before ours, so that its exit is what we see.
        if allowed > .zero, child.requestShutdown(timeout: allowed - min(allowed / 10, .milliseconds(50))) {
            if let exit = await child.waitForExit(until: gracefulEnd) { return exit }
        }
        let terminateEnd = stepEnd()
        if clock.remaining(until: terminateEnd) > .zero, child.signal(.terminate), let exit = await child.waitForExit(until: terminateEnd) {
            return exit
        }
        child.signal(.kill)
        return await child.waitForExit(until: .distantFuture)
    }
}
