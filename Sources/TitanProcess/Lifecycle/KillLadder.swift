import TitanCore
import TitanWire

/// Stops a child in escalating steps, each with its own deadline: a graceful request (the
/// service's shutdown hook runs after its calls drain), then SIGTERM, then SIGKILL.
package struct KillLadder: Sendable {
    /// How long each of the first two steps may take before the next.
    package var grace: Duration

    package init(grace: Duration) {
        self.grace = grace
    }

    /// Runs the ladder on `child` and returns how it ended.
    package func stop(_ child: ChildProcess, clock: any RuntimeClock) async -> Termination? {
        child.stopRequested()
        if let client = child.client {
            let deadline = clock.deadline(after: grace)
            _ = try? await client.control(.shutdown(timeout: grace), timeout: grace)
            if let exit = await child.waitForExit(until: deadline) { return exit }
        }
        if child.signal(.terminate), let exit = await child.waitForExit(until: clock.deadline(after: grace)) {
            return exit
        }
        child.signal(.kill)
        return await child.waitForExit(until: .distantFuture)
    }
}
