import Distributed
import Glibc
import Logging
import CoreMetrics
import Synchronization
import TitanPM
import Tracing

/// Bootstraps the process's tracer once, as a program would before
/// `ProcessManager.bootstrap()` (a re-executed test binary hosts before any test code runs,
/// so the services do it when configured).
public enum TestTracing {
    private static let tracer = Mutex<RecordingTracer?>(nil)

    /// The process's recording tracer, bootstrapped on first use.
    public static func bootstrapped() -> RecordingTracer {
        tracer.withLock { tracer in
            if let tracer { return tracer }
            let made = RecordingTracer()
            InstrumentationSystem.bootstrap(made)
            tracer = made
            return made
        }
    }
}

public struct TraceFailure: Error, Codable, Sendable, Hashable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

/// The last hop of a traced call: parent → ``TraceRelay`` → TraceLeaf.
public distributed actor TraceLeaf: ProcessService {
    public static let name = "trace-leaf"

    public func configure(_ configuration: NoConfiguration) async throws {
        _ = TestTracing.bootstrapped()
    }

    public distributed func double(_ n: Int) -> Int { n * 2 }

    public distributed func fail(_ reason: String) throws -> Int {
        throw TraceFailure(reason: reason)
    }

    public distributed func recordedSpans() -> [RecordedSpan] {
        TestTracing.bootstrapped().finishedSpans
    }
}

/// The middle hop: spawns its own ``TraceLeaf`` (a grandchild of the test) and calls it.
public distributed actor TraceRelay: ProcessService {
    public static let name = "trace-relay"

    private var manager: ProcessManager?
    private var leaf: TraceLeaf?

    public func configure(_ configuration: NoConfiguration) async throws {
        _ = TestTracing.bootstrapped()
    }

    private func theLeaf() async throws -> TraceLeaf {
        if let leaf { return leaf }
        let manager = ProcessManager(observability: ObservabilityOptions(logs: .inherit))
        let leaf = try await manager.spawn(TraceLeaf.self)
        self.manager = manager
        self.leaf = leaf
        return leaf
    }

    public distributed func relay(_ n: Int) async throws -> Int {
        try await theLeaf().double(n) + 1
    }

    public distributed func relayFailure(_ reason: String) async throws -> Int {
        try await theLeaf().fail(reason)
    }

    public distributed func leafPID() async throws -> Int32 {
        _ = try await theLeaf()
        return manager?.processes.first?.pid ?? 0
    }

    public distributed func recordedSpans() -> [RecordedSpan] {
        TestTracing.bootstrapped().finishedSpans
    }

    public distributed func leafSpans() async throws -> [RecordedSpan] {
        try await theLeaf().recordedSpans()
    }

    public func shutdown() async {
        await manager?.shutdown()
    }
}

/// Writes to stdout, stderr and swift-log, and records a metric of its own, for the
/// observability tests.
public distributed actor Chatter: ProcessService {
    public static let name = "chatter"

    private let logger = Logger(label: "chatter")

    public distributed func say(_ text: String) {
        print(text)
    }

    public distributed func complain(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) }
    }

    public distributed func log(_ message: String, key: String, value: String) {
        logger.warning("\(message)", metadata: [key: "\(value)"])
    }

    /// Records `n` into a swift-metrics counter of the service's own.
    public distributed func count(_ n: Int) {
        Counter(label: "chatter_items_total").increment(by: n)
    }

    /// Writes `lines` numbered lines of `length` bytes (newline included) to stdout as fast
    /// as it can, in 64 KiB writes; returns once written.
    public distributed func flood(lines: Int, length: Int) -> Int {
        let perChunk = max(1, (64 << 10) / length)
        var chunk: [UInt8] = []
        var written = 0
        while written < lines {
            chunk.removeAll(keepingCapacity: true)
            for _ in 0..<min(perChunk, lines - written) {
                var line = Array("line \(written) ".utf8)
                line += [UInt8](repeating: UInt8(ascii: "x"), count: max(0, length - line.count - 1))
                line.append(UInt8(ascii: "\n"))
                chunk += line
                written += 1
            }
            var offset = 0
            while offset < chunk.count {
                let n = chunk.withUnsafeBytes { write(1, $0.baseAddress! + offset, chunk.count - offset) }
                if n <= 0 { break }
                offset += n
            }
        }
        return written
    }

    public distributed func pid() -> Int32 { getpid() }

    public func shutdown() async {
        logger.notice("chatter shutting down")
    }
}
