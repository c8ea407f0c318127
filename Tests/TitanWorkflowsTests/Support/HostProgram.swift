import TitanPMTestKit
import Foundation
import Glibc
import Synchronization

/// A program the test starts as a child process and reads line by line: awaits a line with a
/// deadline (never a sleep), kills the program, waits for its exit.
final class HostProgram: Sendable {
    private struct State {
        var lines: [String] = []
        var closed = false
        var waiters: [(predicate: @Sendable (String) -> Bool, continuation: CheckedContinuation<String?, Never>)] = []
    }

    let pid: Int32
    private let state = Mutex(State())
    private let exited = Mutex<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    /// Starts `path` with `arguments`, its stdout piped to this object (stderr passes through).
    init(_ path: String, _ arguments: [String]) throws {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw POSIXError(.EIO) }
        // Not inherited by processes other tests spawn meanwhile (the dup2 onto 1 clears it).
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, path, &actions, nil, argv, environ)
        close(pipeFDs[1])
        guard result == 0 else {
            close(pipeFDs[0])
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO)
        }
        pid = child
        let readFD = pipeFDs[0]
        let spawned = child
        Thread.detachNewThread { [self] in
            readLines(readFD)
            var status: Int32 = 0
            while waitpid(spawned, &status, 0) < 0 && errno == EINTR {}
            let waiters = exited.withLock { state in
                state.status = status
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume(returning: status) }
        }
    }

    private func readLines(_ fd: Int32) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += buffer[0..<n]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                deliver(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        close(fd)
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.continuation.resume(returning: nil) }
    }

    private func deliver(_ line: String) {
        let matched = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            state.lines.append(line)
            let (hit, rest) = (state.waiters.filter { $0.predicate(line) }, state.waiters.filter { !$0.predicate(line) })
            state.waiters = rest
            return hit.map(\.continuation)
        }
        matched.forEach { $0.resume(returning: line) }
    }

    /// Every line so far.
    var lines: [String] { state.withLock { $0.lines } }

    /// The first line (printed already or later) for which `predicate` holds; throws if the
    /// program closes its stdout first or `timeout` passes.
    @discardableResult
    func line(_ what: String, timeout: Duration = .seconds(60), where predicate: @escaping @Sendable (String) -> Bool) async throws -> String {
        let line = try await within(timeout, what) { [self] in
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                let immediate = state.withLock { state -> String?? in
                    if let line = state.lines.first(where: predicate) { return .some(line) }
                    if state.closed { return .some(nil) }
                    state.waiters.append((predicate, continuation))
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        }
        guard let line else { throw TestFailure("the program ended before printing \(what); it printed:\n\(lines.joined(separator: "\n"))") }
        return line
    }

    /// Sends SIGKILL.
    func kill() {
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Waits for the program to end; its wait status.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        try await within(timeout, "exit of \(pid)") { [self] in
            await withCheckedContinuation { continuation in
                let status = exited.withLock { state -> Int32? in
                    if let status = state.status { return status }
                    state.waiters.append(continuation)
                    return nil
                }
                if let status { continuation.resume(returning: status) }
            }
        }
    }
}
