import Logging

/// What a ``ProcessManager`` records about its processes, and where it sends it.
///
/// ```swift
/// let pm = ProcessManager(observability: ObservabilityOptions(
///     logs: LogOptions(directory: "/var/log/my-app", rotation: LogRotation(maxFileSize: 10 << 20, keep: 5))
/// ))
/// ```
///
/// Metrics go to the `MetricsSystem` the program bootstrapped (see ``ProcessManager/collectMetrics()``),
/// spans to the tracer it bootstrapped, lines and records to the manager's `Logger`.
/// ``disabled`` records nothing and costs nothing: no interceptor is installed, children's
/// output is inherited as before.
public struct ObservabilityOptions: Sendable {
    /// Per-call metrics (calls, errors by kind, latency, in flight) in the parent and every
    /// child, process, pool, supervisor, stream and log metrics, and ``ProcessManager/metrics(of:timeout:)``.
    public var metrics: Bool
    /// Spans for every call, in the parent and every child, through the bootstrapped tracer;
    /// the trace context travels with each call.
    public var tracing: Bool
    /// How children's output and log records are collected.
    public var logs: LogOptions
    /// How often metrics are pulled from the children and re-emitted into the
    /// `MetricsSystem` in the background; nil only when asked (``ProcessManager/collectMetrics()``,
    /// or a scrape of a metrics endpoint).
    public var collectionInterval: Duration?

    /// Options with everything on by default.
    public init(metrics: Bool = true, tracing: Bool = true, logs: LogOptions = LogOptions(), collectionInterval: Duration? = .seconds(10)) {
        self.metrics = metrics
        self.tracing = tracing
        self.logs = logs
        self.collectionInterval = collectionInterval
    }

    /// Nothing recorded: calls pass no interceptor, children inherit this process's output.
    public static var disabled: ObservabilityOptions {
        ObservabilityOptions(metrics: false, tracing: false, logs: .inherit, collectionInterval: nil)
    }
}

/// How a ``ProcessManager`` collects its children's output and log records.
public struct LogOptions: Sendable {
    /// Read each child's stdout and stderr line by line and receive its swift-log records;
    /// false lets children write to this process's stdout and stderr.
    public var capture: Bool
    /// The lowest level of the swift-log records children forward.
    public var childLogLevel: Logger.Level
    /// Re-emit every line and record through the manager's `Logger`, with the metadata
    /// `process`, `pid`, `service` and `stream`.
    public var reemit: Bool
    /// A directory for per-process log files (`<process id>.log`); nil writes none.
    public var directory: String?
    /// When files are rotated and how many are kept.
    public var rotation: LogRotation
    /// Lines kept in memory per process for ``ProcessManager/logs(of:last:follow:)``.
    public var recentLines: Int
    /// Lines of one process that may wait to be handled; a process that writes faster than
    /// that loses lines, which ``ProcessLogStats/dropped`` counts. A flood never blocks the
    /// child nor slows this process's calls.
    public var bufferedLines: Int

    /// Capture with the given settings.
    public init(
        capture: Bool = true,
        childLogLevel: Logger.Level = .info,
        reemit: Bool = true,
        directory: String? = nil,
        rotation: LogRotation = LogRotation(),
        recentLines: Int = 1000,
        bufferedLines: Int = 10_000
    ) {
        self.capture = capture
        self.childLogLevel = childLogLevel
        self.reemit = reemit
        self.directory = directory
        self.rotation = rotation
        self.recentLines = max(0, recentLines)
        self.bufferedLines = max(1, bufferedLines)
    }

    /// No capture: children write to this process's stdout and stderr.
    public static var inherit: LogOptions { LogOptions(capture: false) }
}

/// Size-based rotation of per-process log files, as pm2-logrotate does it.
public struct LogRotation: Sendable, Hashable {
    /// A file that would grow past this many bytes is renamed `<name>.1` (older ones move
    /// up by one) and a new file begins.
    public var maxFileSize: Int
    /// Rotated files kept beside the current one; older ones are deleted.
    public var keep: Int

    /// Rotation at `maxFileSize` bytes (10 MiB by default), keeping `keep` rotated files.
    public init(maxFileSize: Int = 10 << 20, keep: Int = 5) {
        self.maxFileSize = max(1, maxFileSize)
        self.keep = max(0, keep)
    }
}
