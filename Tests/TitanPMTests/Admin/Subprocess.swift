import CTitan
import Glibc
import Synchronization
import TitanCore
import TitanPMTestKit
import TitanProcess
import TitanPM

/// A program the test runs as a real subprocess (the `titan` executable, Python, `script`),
/// started and reaped by the runtime's own launcher: its standard output arrives line by line
/// as it is written, its standard input can be written to, its exit is awaited.
final class Subprocess: Sendable {
    /// How a finished run went.
    struct Result: Sendable, CustomStringConvertible {
        var stdout: String
        var stderr: String
        var status: Termination

        var exitCode: Int32? {
            if case .exited(let code) = status { return code }
            return nil
        }

        var description: String { "\(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    let pid: Int32
    /// Standard output, one line at a time, as the program writes it.
    let lines: AsyncStream<String>
    private let stdinFD: Int32
    private let output = Mutex<(stdout: [UInt8], stderr: [UInt8], outDone: Bool, errDone: Bool)>(([], [], false, false))
    private let finished = WaiterTable<Result>(clock: SystemClock.shared)
    private let exit = Mutex<Termination?>(nil)

    private init(pid: Int32, stdinFD: Int32, lines: AsyncStream<String>) {
        self.pid = pid
        self.stdinFD = stdinFD
        self.lines = lines
    }

    /// Starts `executable` with `arguments`; `environment` is added to this process's.
    static func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Subprocess {
        var input: [Int32] = [-1, -1], out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard titan_pipe_cloexec(&input) == 0, titan_pipe_cloexec(&out) == 0, titan_pipe_cloexec(&err) == 0 else {
            throw ProcessError.startFailed("pipe2: \(errno)")
        }
        var env: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") { env[String(pair[..<equals])] = String(pair[pair.index(after: equals)...]) }
            pointer += 1
        }
        env.merge(environment) { $1 }
        let request = LaunchRequest(
            executable: executable, arguments: arguments, environment: env,
            descriptors: [(input[0], 0), (out[1], 1), (err[1], 2)], newProcessGroup: true
        )
        let pid: Int32
        do {
            pid = try await ChildLauncher.shared.launch(request)
        } catch {
            for fd in input + out + err { close(fd) }
            throw error
        }
        close(input[0]); close(out[1]); close(err[1])
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let process = Subprocess(pid: pid, stdinFD: input[1], lines: lines)
        let stdoutFD = out[0], stderrFD = err[0]
        startDetachedThread(name: "test-stdout") {
            var pending: [UInt8] = []
            process.drain(stdoutFD) { chunk in
                process.output.withLock { $0.stdout += chunk }
                pending += chunk
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    continuation.yield(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
            continuation.finish()
            process.output.withLock { $0.outDone = true }
            process.resolveIfDone()
        }
        startDetachedThread(name: "test-stderr") {
            process.drain(stderrFD) { chunk in process.output.withLock { $0.stderr += chunk } }
            process.output.withLock { $0.errDone = true }
            process.resolveIfDone()
        }
        try ExitWatcher.shared.watch(pid: pid) { status in
            process.exit.withLock { $0 = status }
            process.resolveIfDone()
        }
        return process
    }

    /// Runs `executable` to the end and returns what it printed and how it exited.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> Result {
        try await start(executable, arguments, environment: environment).finish(timeout: timeout)
    }

    /// Writes `line` and a newline to the program's standard input.
    func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
    }

    /// Sends `signal` to the program.
    func signal(_ signal: Int32) {
        Glibc.kill(pid, signal)
    }

    /// Waits for the program to exit and its output to end.
    func finish(timeout: Duration = .seconds(60)) async throws -> Result {
        close(stdinFD)
        let pid = pid
        return try await finished.wait(
            for: 0,
            deadline: SystemClock.shared.deadline(after: timeout),
            onDeadline: {
                Glibc.kill(pid, SIGKILL)
                return .failure(TestTimeout(what: "subprocess \(pid) to exit", timeout: timeout))
            },
            immediate: { self.result().map { .success($0) } }
        )
    }

    /// The next line of standard output that satisfies `predicate`, within `timeout`.
    func line(_ what: String, timeout: Duration = .seconds(30), where predicate: @escaping @Sendable (String) -> Bool) async throws -> String {
        let lines = lines
        return try await within(timeout, what) {
            for await line in lines where predicate(line) { return line }
            throw TestTimeout(what: "\(what) (the output ended)", timeout: timeout)
        }
    }

    private func result() -> Result? {
        guard let status = exit.withLock({ $0 }) else { return nil }
        return output.withLock { output -> Result? in
            guard output.outDone, output.errDone else { return nil }
            return Result(stdout: String(decoding: output.stdout, as: UTF8.self), stderr: String(decoding: output.stderr, as: UTF8.self), status: status)
        }
    }

    private func resolveIfDone() {
        if let result = result() { _ = finished.resume(0, with: .success(result)) }
    }

    private func drain(_ fd: Int32, _ body: ([UInt8]) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            body(Array(buffer[0..<n]))
        }
        close(fd)
    }
}
