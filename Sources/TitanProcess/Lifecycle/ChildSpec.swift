import TitanCore

/// The recipe for launching a child; every incarnation of a managed process uses the same one.
package struct ChildSpec: Sendable {
    /// The program to start.
    package var executable: String
    /// Its arguments.
    package var arguments: [String]
    /// Its whole environment, the child's variables included.
    package var environment: [String: String]
    /// Its working directory; nil keeps the parent's.
    package var workingDirectory: String?
    /// What the child is told through its environment.
    package var child: ChildEnvironment
    /// The encoded configuration, sent on the control socket once the child runs.
    package var configuration: [UInt8]
    /// The outputs the parent reads through pipes (the others are inherited): stdout and
    /// stderr line by line, and the child's forwarded swift-log records.
    package var captured: [LogSource] = []

    package init(executable: String, arguments: [String], environment: [String: String], workingDirectory: String?, child: ChildEnvironment, configuration: [UInt8]) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.child = child
        self.configuration = configuration
    }
}
