/// The labels (Prometheus names) and dimensions of the metrics Titan records.
///
/// Per call (recorded on both sides, told apart by ``side``): ``calls``, ``callErrors`` (with
/// ``kind``), ``callDuration`` and ``callsInFlight``, with dimensions ``service``, ``method``
/// and ``side``. A child's metrics reach the parent's backend with ``process`` and ``pid``
/// added; a caller's carry the ``process`` it called.
public enum TitanMetricNames {
    // MARK: Calls
    /// Counter: calls, by service, method and side.
    public static let calls = "titan_calls_total"
    /// Counter: calls that failed, by service, method, side and error kind.
    public static let callErrors = "titan_call_errors_total"
    /// Timer: how long calls took, by service, method and side.
    public static let callDuration = "titan_call_duration_seconds"
    /// Meter: calls running now, by service, method and side.
    public static let callsInFlight = "titan_calls_in_flight"

    // MARK: Streams
    /// Counter: stream elements sent or received (``direction``).
    public static let streamElements = "titan_stream_elements_total"
    /// Counter: encoded stream bytes sent or received (``direction``).
    public static let streamBytes = "titan_stream_bytes_total"

    // MARK: Processes (sampled by the parent from /proc)
    /// Gauge: 1 while the process runs, else 0.
    public static let processUp = "titan_process_up"
    /// Counter: restarts of the managed process.
    public static let processRestarts = "titan_process_restarts_total"
    /// Counter: user plus system CPU seconds of the current incarnation.
    public static let processCPUSeconds = "titan_process_cpu_seconds_total"
    /// Gauge: resident memory in bytes.
    public static let processResidentMemory = "titan_process_resident_memory_bytes"
    /// Gauge: open file descriptors.
    public static let processOpenDescriptors = "titan_process_open_fds"
    /// Gauge: when the current incarnation became ready, in seconds since 1970.
    public static let processStartTime = "titan_process_start_time_seconds"

    // MARK: Logs
    /// Counter: lines of output and log records received from a process, by ``stream``.
    public static let logLines = "titan_log_lines_total"
    /// Counter: lines and records dropped because the process wrote faster than they could
    /// be handled.
    public static let logLinesDropped = "titan_log_lines_dropped_total"

    // MARK: Pools
    /// Gauge: running workers.
    public static let poolSize = "titan_pool_size"
    /// Gauge: workers with calls in flight.
    public static let poolBusy = "titan_pool_busy_workers"
    /// Gauge: workers without calls.
    public static let poolIdle = "titan_pool_idle_workers"
    /// Gauge: calls waiting for a worker.
    public static let poolQueued = "titan_pool_queued_calls"
    /// Counter: calls the pool completed.
    public static let poolProcessed = "titan_pool_processed_total"
    /// Counter: calls that failed on a worker.
    public static let poolErrors = "titan_pool_errors_total"
    /// Counter: calls refused because the queue was full.
    public static let poolRejected = "titan_pool_rejected_total"
    /// Gauge: calls in flight on one worker (``worker``).
    public static let poolWorkerInFlight = "titan_pool_worker_in_flight"
    /// Counter: calls one worker completed.
    public static let poolWorkerProcessed = "titan_pool_worker_processed_total"

    // MARK: Supervisors
    /// Counter: restarts a supervisor made (each restarted child counts).
    public static let supervisorRestarts = "titan_supervisor_restarts_total"
    /// Counter: times a supervisor gave up (too many restarts) and escalated to its parent.
    public static let supervisorEscalations = "titan_supervisor_escalations_total"

    // MARK: Dimensions
    /// The service's name.
    public static let service = "service"
    /// The method's name with its labels: `add(_:_:)`.
    public static let method = "method"
    /// `server` for calls served, `client` for calls made.
    public static let side = "side"
    /// The error's kind: a ``/TitanCore/ProcessError`` code, or the error's type name.
    public static let kind = "kind"
    /// The managed process's id.
    public static let process = "process"
    /// The OS process id.
    public static let pid = "pid"
    /// `sent` or `received`.
    public static let direction = "direction"
    /// `stdout`, `stderr` or `log`.
    public static let stream = "stream"
    /// The pool's id.
    public static let pool = "pool"
    /// The pool worker's process id.
    public static let worker = "worker"
    /// The supervisor's name.
    public static let supervisor = "supervisor"
}
