import TitanCore

/// The recipe for launching a child; every incarnation of a managed process uses the same one.
package struct ChildSpec: Sendable {
    /// The program to start.
    package var executable: String
    /// The open program file to run, whatever `executable` names by now; nil runs `executable`.
    package var image: ExecutableImage?
    /// Its arguments.
    package var arguments: [String]
    /// Its whole environment, the child's variables included.
    package var environment: [String: String]
    /// Its working directory; nil keeps the parent's.
    package var workingDirectory: String?
    /// Resource limits set in the child before its program runs.
    package var limits: [RlimitSetting] = []
    /// What the child is told through its environment.
    package var child: ChildEnvironment
    /// The encoded configuration, sent on the control socket once the child runs.
    package var configuration: [UInt8]
    /// The outputs the parent's output handler gets through pipes: stdout and stderr line by
    /// line, and the child's forwarded swift-log records. Stdout not captured is inherited;
    /// stderr is always read (its last lines say why a child crashed), and forwarded to the
    /// parent's standard error when not captured.
    package var captured: [LogSource] = []
    /// Where the children of one manager listen for callers it introduces: an abstract socket
    /// name (`@...`) that each incarnation extends with its process id and a random part of its
    /// own (see ``ChildProcess/listenAddress``); nil: the child does not listen.
    package var listenPrefix: String?
    /// What the child grants callers on its listening socket, and any caller.
    package var servingLimits: ServingLimits
    /// The manager's mesh endpoint, told to the child in its bootstrap (see
    /// ``ChildBootstrap/meshAddress``); nil: none.
    package var meshAddress: String?

    package init(
        executable: String,
        image: ExecutableImage? = nil,
        arguments: [String],
        environment: [String: String],
        workingDirectory: String?,
        child: ChildEnvironment,
        configuration: [UInt8],
        listenPrefix: String? = nil,
        servingLimits: ServingLimits = ServingLimits()
    ) {
        self.executable = executable
        self.image = image
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.child = child
        self.configuration = configuration
        self.listenPrefix = listenPrefix
        self.servingLimits = servingLimits
    }
}
