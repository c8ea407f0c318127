import Glibc
import Synchronization
import Testing
import TitanPMTestKit
@testable import TitanPM
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// The whole suite runs serially: several tests count this process's descriptors and child
/// processes, which parallel tests would disturb.
@Suite(.serialized) struct TitanPMTests {}

/// Path of the `titan-test-host` executable built next to the test binary.
let testHostPath: String = {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let exe = String(cString: Array(buffer[0..<max(n, 0)]) + [0])
    let directory = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return directory + "/titan-test-host"
}()

/// Whether `pid` is a live (not zombie) process.
func isAlive(_ pid: Int32) -> Bool {
    ProcFS.isAlive(pid)
}

/// Polls a condition that has no event to await (descriptor counts, process table entries,
/// a child's own metrics), until it holds or `timeout` passes.
func eventually(_ timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// A counter a test can read while another task increments it.
final class AsyncCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    /// The current value, then increments it.
    func take() -> Int {
        count.withLock { n in
            defer { n += 1 }
            return n
        }
    }
    var value: Int { count.withLock { $0 } }
}

/// The package's root directory, from this file's path.
let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    while let last = parts.last, last != "Tests" { parts.removeLast() }
    parts.removeLast()
    return parts.joined(separator: "/")
}()

/// Every Swift file below `directory`.
func swiftFiles(under directory: String) -> [String] {
    (ProcFS.entries(of: directory) ?? []).flatMap { name -> [String] in
        let path = "\(directory)/\(name)"
        if name.hasSuffix(".swift") { return [path] }
        return ProcFS.entries(of: path) == nil ? [] : swiftFiles(under: path)
    }
}

/// A `titan-test-host parent N` run: its pid, its children and its socket prefix.
struct HostParent {
    var pid: Int32
    var children: [Int32]
    var sockets: String
    var output: Int32

    static func start(_ arguments: [String]) async throws -> HostParent {
        let (readEnd, writeEnd) = try UnixSocket.pair()
        let pid = try await ChildLauncher.shared.launch(LaunchRequest(
            executable: testHostPath, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"],
            descriptors: [(parentFD: writeEnd, childFD: 1)]
        ))
        close(writeEnd)
        var lines: [String] = []
        var buffer: [UInt8] = []
        while !lines.contains("ready") {
            guard let chunk = UnixSocket.readSome(readEnd, timeout: .seconds(20)) else { break }
            buffer += chunk
            while let newline = buffer.firstIndex(of: 10) {
                lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
                buffer.removeSubrange(...newline)
            }
        }
        return HostParent(
            pid: pid,
            children: lines.compactMap { $0.hasPrefix("child ") ? Int32($0.dropFirst(6)) : nil },
            sockets: lines.first { $0.hasPrefix("sockets ") }.map { String($0.dropFirst(8)) } ?? "",
            output: readEnd
        )
    }
}
