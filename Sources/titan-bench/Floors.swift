import CTitan
import Glibc
import Synchronization
import TitanPM
import TitanTransport
import TitanWire

/// The path of this executable, for re-running it in another mode.
func currentExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    return String(decoding: buffer[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The raw child: echo 16-byte messages on `fd` until the other end closes.
func rawEcho(fd: Int32) -> Never {
    var message = [UInt8](repeating: 0, count: 16)
    while true {
        var got = 0
        while got < 16 {
            let n = message.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, 16 - got) }
            if n <= 0 { exit(0) }
            got += n
        }
        guard write(fd, message, 16) == 16 else { exit(0) }
    }
}

/// The floor: 16-byte round trips between this process and a copy of it over a
/// socketpair, which two processes cannot beat on this machine.
final class RawPeer {
    private let fd: Int32
    let pid: Int32
    private var message = [UInt8](repeating: 7, count: 16)

    private init(fd: Int32, pid: Int32) {
        self.fd = fd
        self.pid = pid
    }

    static func start() async throws -> RawPeer {
        let (mine, theirs) = try UnixSocket.pair()
        let pid = try await ChildLauncher.shared.launch(LaunchRequest(
            executable: currentExecutable(),
            arguments: ["--raw-echo"],
            environment: ["PATH": "/usr/bin:/bin"],
            descriptors: [(parentFD: theirs, childFD: 3)]
        ))
        close(theirs)
        return RawPeer(fd: mine, pid: pid)
    }

    private func send() {
        _ = write(fd, message, 16)
    }

    private func receive() {
        var got = 0
        while got < 16 {
            let n = message.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, 16 - got) }
            if n <= 0 { break }
            got += n
        }
    }

    private func roundTrip() {
        send()
        receive()
    }

    /// Messages per second with `inFlight` in flight: each one that comes back sends the next.
    func throughput(messages: Int, inFlight: Int) -> Double {
        for _ in 0..<inFlight { send() }
        for _ in 0..<inFlight { receive() }
        let start = nowNanos()
        for _ in 0..<inFlight { send() }
        var sent = inFlight
        for _ in 0..<messages {
            receive()
            if sent < messages {
                send()
                sent += 1
            }
        }
        return Double(messages) / (Double(nowNanos() - start) / 1e9)
    }

    func measure(warmup: Int, iterations: Int, into samples: inout Samples) {
        for _ in 0..<warmup { roundTrip() }
        for _ in 0..<iterations {
            let start = nowNanos()
            roundTrip()
            samples.add(nanos: nowNanos() - start)
        }
    }

    func stop() async throws {
        close(fd)
        _ = try await ExitWatcher.shared.waitForExit(of: pid, timeout: .seconds(5))
    }
}

/// The throughput floor: 16-byte messages bounced off a copy of this program over a
/// socketpair with `inFlight` in flight, one `write` and one `read` per message on each side
/// (the shape of Titan's 64 concurrent calls on one connection, without batching).
func measureRawThroughput(messages: Int, inFlight: Int = 64) async throws -> Double {
    let peer = try await RawPeer.start()
    let rate = peer.throughput(messages: messages, inFlight: inFlight)
    try await peer.stop()
    return rate
}

/// Calls per second with `concurrency` callers sharing `calls` calls.
func measureThroughput(calls: Int, concurrency: Int, _ body: @escaping @Sendable () async throws -> Void) async throws -> Double {
    // Warm up the connection and the child.
    for _ in 0..<1000 { try await body() }
    let start = nowNanos()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<concurrency {
            let share = calls / concurrency + (worker < calls % concurrency ? 1 : 0)
            group.addTask {
                for _ in 0..<share { try await body() }
            }
        }
        try await group.waitForAll()
    }
    let seconds = Double(nowNanos() - start) / 1e9
    return Double(calls) / seconds
}

/// Pins this process to `cpu`. Called before any other thread exists, so every thread and
/// child inherits the mask.
func pinThisProcess(toCPU cpu: Int32) {
    guard titan_pin_to_cpu(0, cpu) == 0 else {
        fatalError("cannot pin to CPU \(cpu): \(String(cString: strerror(errno)))")
    }
}

/// Moves every thread of process `pid` to `cpu` (the affinity of a thread is its own; threads
/// it starts later inherit it).
func moveAllThreads(of pid: Int32, toCPU cpu: Int32) {
    guard let directory = opendir("/proc/\(pid)/task") else { fatalError("no /proc/\(pid)/task") }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let thread = Int32(name) else { continue }
        guard titan_pin_to_cpu(thread, cpu) == 0 else {
            fatalError("cannot move thread \(thread) to CPU \(cpu): \(String(cString: strerror(errno)))")
        }
    }
}

/// Runs this program again with `flag` (`--pin` or `--split`) and returns the figures it prints.
func runCopy(flag: String, quick: Bool) async throws -> [Metric] {
    let (mine, theirs) = try UnixSocket.pair()
    var environment: [String: String] = [:]
    for key in ["PATH", "HOME", "TMPDIR"] {
        if let value = getenv(key) { environment[key] = String(cString: value) }
    }
    let pid = try await ChildLauncher.shared.launch(LaunchRequest(
        executable: currentExecutable(),
        arguments: [flag] + (quick ? ["--quick"] : []),
        environment: environment,
        descriptors: [(parentFD: theirs, childFD: 1)]
    ))
    close(theirs)
    var output: [UInt8] = []
    while let chunk = UnixSocket.readSome(mine, timeout: .seconds(600)) { output += chunk }
    close(mine)
    _ = try await ExitWatcher.shared.waitForExit(of: pid, timeout: .seconds(10))
    return String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap { line in
        let parts = line.split(separator: " ")
        guard parts.count == 4, parts[0] == "METRIC", let value = Double(parts[2]) else { return nil }
        return Metric(name: String(parts[1]), value: value, unit: String(parts[3]))
    }
}
