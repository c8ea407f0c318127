import TitanCore

/// How one incarnation of a child ended, as its owner learns it.
package struct ChildExit: Sendable, Hashable {
    /// The exit code or signal.
    package var termination: Termination
    /// The summary of what it last wrote to standard error (a trap's message), if anything.
    package var lastOutput: String?
    /// Why the parent ended it, when the parent did so on its own account (a limit crossed).
    package var reason: String?

    package init(termination: Termination, lastOutput: String? = nil, reason: String? = nil) {
        self.termination = termination
        self.lastOutput = lastOutput
        self.reason = reason
    }
}
