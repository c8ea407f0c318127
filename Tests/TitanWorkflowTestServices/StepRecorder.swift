import Distributed
import Glibc
import TitanPM

/// Where a ``StepRecorder`` writes.
public struct StepRecorderConfiguration: Codable, Sendable {
    /// The log file; every call appends a line.
    public var log: String

    public init(log: String) {
        self.log = log
    }
}

/// An idempotent service that writes what it is asked to do to a file, which outlives the
/// processes of a crash test: `call <step> <key>` for every call, and `effect <step> <key>` only
/// the first time a key is seen — a step re-run with the same key takes effect once.
public distributed actor StepRecorder: ProcessService {
    public typealias Configuration = StepRecorderConfiguration
    public static let name = "step-recorder"

    private var log = ""

    public func configure(_ configuration: StepRecorderConfiguration) async throws {
        log = configuration.log
    }

    /// Performs `step` under the idempotency key its call carries; returns what the step produced.
    public distributed func perform(_ step: String) -> String {
        record("call", step, Self.callKey)
        return "\(step)-done"
    }

    /// Undoes `step` (a compensation) under the idempotency key its call carries.
    public distributed func undo(_ step: String) {
        record("call-undo", step, Self.callKey)
    }

    /// The idempotency key in the metadata of the call being served.
    private static var callKey: String {
        ProcessActorSystem.currentCall?.metadata.idempotencyKey ?? "no-key"
    }

    private func record(_ what: String, _ step: String, _ key: String) {
        let effect = what == "call" ? "effect" : "undo-effect"
        let seen = StepLog.lines(log).contains("\(effect) \(step) \(key)")
        StepLog.append(log, "\(what) \(step) \(key)")
        if !seen { StepLog.append(log, "\(effect) \(step) \(key)") }
    }
}

/// Reads and appends lines of a ``StepRecorder`` log.
public enum StepLog {
    /// Appends `line` with one `write` on an `O_APPEND` descriptor (whole lines, in order).
    public static func append(_ path: String, _ line: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return }
        let text = line + "\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// The lines of the log, or none if it does not exist.
    public static func lines(_ path: String) -> [String] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
