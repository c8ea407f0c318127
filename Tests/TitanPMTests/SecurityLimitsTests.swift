import CTitan
import Glibc
import Synchronization
import Testing
import TitanPMTestKit
import TitanTestServices
@testable import TitanPM
import TitanActorSystem
import TitanCore
import TitanProcess
import TitanTransport
import TitanWire

/// Threads of process `pid`, from /proc.
private func threadCount(_ pid: Int32) -> Int {
    guard let bytes = ProcFS.read("/proc/\(pid)/status") else { return -1 }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Threads:") {
        return Int(line.dropFirst("Threads:".count).trimmingPrefix(while: \.isWhitespace)) ?? -1
    }
    return -1
}

/// Open descriptors of process `pid`, from /proc.
private func descriptorCount(_ pid: Int32) -> Int {
    guard let dir = opendir("/proc/\(pid)/fd") else { return -1 }
    defer { closedir(dir) }
    var count = 0
    while readdir(dir) != nil { count += 1 }
    return count - 2
}

/// Reads until the peer closes (true) or nothing comes for 10 s (false).
private func readsToEndOfStream(_ fd: Int32) -> (closed: Bool, bytes: [UInt8]) {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollfd, 1, 10_000) > 0 else { return (false, received) }
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { return (true, received) }
        received += buffer[0..<n]
    }
}

/// Makes the child start the threads it keeps for good (the clock's timer thread starts with
/// the first handshake deadline), so that counts taken afterwards show only connections.
private func warmUp(_ pm: ProcessManager, _ id: ProcessID) async throws {
    let pid = try pm.introduction(to: id).pid
    let descriptors = descriptorCount(pid)
    let client = try await connectRaw(pm, id)
    client.connection.close()
    // Its connection is gone once its descriptor is (no event crosses the process boundary).
    #expect(await eventually { descriptorCount(pid) <= descriptors })
}

/// The reason in a protocol error frame at the start of `bytes`.
private func protocolErrorReason(_ bytes: [UInt8]) -> String? {
    guard bytes.count > FrameHeader.size, bytes[1] == FrameKind.protocolError.rawValue else { return nil }
    var reader = ByteReader(Array(bytes[FrameHeader.size...]))
    return try? reader.readString()
}

extension TitanPMTests {
    /// Issue #13, item 3: what a peer can make a child hold, before and after the handshake.
    @Suite struct SecurityLimits {
        @Test func aFrameAnnouncedBeforeTheHandshakeGetsNoMemory() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let pid = try pm.introduction(to: calc.id.process).pid
                let before = try #require(ProcFS.residentBytes(of: pid))
                var header = ByteWriter()
                for _ in 0..<FrameHeader.size { header.writeByte(0) }
                FrameHeader(kind: .hello, length: 64 << 20, id: 0).write(into: &header)
                let part = [UInt8](repeating: 0x5A, count: 2 << 20)
                for _ in 0..<8 {
                    let fd = try connectSocket(pm, calc.id.process)
                    defer { close(fd) }
                    _ = UnixSocket.writeAll(fd, header.bytes + part) // fails once the child hangs up
                    let (closed, bytes) = readsToEndOfStream(fd)
                    #expect(closed)
                    #expect(protocolErrorReason(bytes)?.contains("before the handshake") == true, "\(bytes.prefix(80))")
                }
                let after = try #require(ProcFS.residentBytes(of: pid))
                #expect(after - before < 8 << 20, "the child grew by \(after - before) bytes")
                #expect(try await calc.add(1, 2) == 3)
            }
        }

        @Test func connectionsThatSayNothingAreClosedAtTheHandshakeDeadline() async throws {
            var options = SpawnOptions()
            options.servingLimits.handshakeTimeout = .milliseconds(300)
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: options)
                let pid = try pm.introduction(to: calc.id.process).pid
                try await warmUp(pm, calc.id.process)
                let threads = threadCount(pid)
                let descriptors = descriptorCount(pid)
                let fds = try (0..<40).map { _ in try connectSocket(pm, calc.id.process) }
                defer { fds.forEach { close($0) } }
                for fd in fds {
                    let (closed, bytes) = readsToEndOfStream(fd)
                    #expect(closed, "a silent connection stayed open")
                    #expect(protocolErrorReason(bytes)?.contains("no hello within") == true)
                }
                // A thread's exit in another process has no event to await.
                #expect(await eventually { threadCount(pid) <= threads }, "threads: \(threadCount(pid)), before \(threads)")
                #expect(await eventually { descriptorCount(pid) <= descriptors }, "descriptors: \(descriptorCount(pid)), before \(descriptors)")
                #expect(try await calc.add(2, 2) == 4)
            }
        }

        @Test func connectionsAboveTheCapAreClosedAtOnce() async throws {
            var options = SpawnOptions()
            options.servingLimits.maxConnections = 4
            options.servingLimits.handshakeTimeout = .seconds(60)
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: options)
                let introduction = try pm.introduction(to: calc.id.process)
                try await warmUp(pm, calc.id.process)
                let threads = threadCount(introduction.pid)
                var admitted: [Int32] = []
                defer { admitted.forEach { close($0) } }
                for _ in 0..<4 {
                    let fd = try connectSocket(pm, calc.id.process)
                    admitted.append(fd)
                    #expect(UnixSocket.writeAll(fd, helloFrame(proof: introduction.secret.bytes)))
                    #expect(readFrame(fd)?.kind == .welcome)
                }
                // Even with the right proof, and however many: closed before a byte is read.
                for _ in 0..<100 {
                    let fd = try connectSocket(pm, calc.id.process)
                    defer { close(fd) }
                    _ = UnixSocket.writeAll(fd, helloFrame(proof: introduction.secret.bytes))
                    let (closed, bytes) = readsToEndOfStream(fd)
                    #expect(closed && bytes.isEmpty)
                }
                #expect(threadCount(introduction.pid) <= threads + 4, "threads: \(threadCount(introduction.pid)), before \(threads)")
                // A freed place is taken again (once the child has seen the close).
                close(admitted.removeFirst())
                let readmitted = await eventually {
                    guard let fd = try? connectSocket(pm, calc.id.process) else { return false }
                    defer { close(fd) }
                    _ = UnixSocket.writeAll(fd, helloFrame(proof: introduction.secret.bytes))
                    return readFrame(fd)?.kind == .welcome
                }
                #expect(readmitted)
                #expect(try await calc.add(3, 3) == 6)
            }
        }

        @Test func aCallerThatDoesNotReadItsRepliesStallsInsteadOfGrowingTheChild() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let introduction = try pm.introduction(to: calc.id.process)
                let add = try callMessage(of: await recordedAddCall(pm.actorSystem))
                var call = callFrame(target: add.target) { writer in
                    try? WireEncoder().encode(1, into: &writer)
                    try? WireEncoder().encode(2, into: &writer)
                }
                let frame = call.finish(id: 1)
                let batch = [UInt8]((0..<1000).map { _ in frame }.joined())
                let fd = try connectSocket(pm, calc.id.process)
                defer { close(fd) }
                #expect(UnixSocket.writeAll(fd, helloFrame(proof: introduction.secret.bytes)))
                #expect(readFrame(fd)?.kind == .welcome)
                _ = try await calc.add(0, 0)
                let before = try #require(ProcFS.residentBytes(of: introduction.pid))

                // Pipeline up to 300,000 calls without reading a reply, until the child
                // stops reading (no progress for 2 s: there is no event for "stopped reading").
                let total = 300_000
                var sent = 0
                var offset = 0
                while sent < total {
                    let n = batch.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
                    if n > 0 {
                        offset += n
                        if offset == batch.count { sent += 1000; offset = 0 }
                        continue
                    }
                    guard errno == EAGAIN else { break }
                    var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    if poll(&pollfd, 1, 2000) == 0 { break }
                }
                let stalled = try #require(ProcFS.residentBytes(of: introduction.pid))
                #expect(sent < total, "the child read all \(total) calls while none of their replies was read")
                // Unbounded, 300,000 replies held come to about 5.5 MB; the bound is 1 MiB.
                #expect(stalled - before < 4 << 20, "the child grew by \(stalled - before) bytes holding replies")

                // Reading the replies lets it go on: every call is answered, none lost.
                let replies = Atomic<Int>(0)
                let reader = Task.detached {
                    var buffer = [UInt8](repeating: 0, count: 1 << 16)
                    var pending: [UInt8] = []
                    var count = 0
                    while count < total {
                        let n = read(fd, &buffer, buffer.count)
                        if n <= 0 { break }
                        pending += buffer[0..<n]
                        var start = 0
                        while pending.count - start >= FrameHeader.size {
                            let length = pending.withUnsafeBytes { Int((try? FrameHeader.parse($0.baseAddress! + start))?.length ?? 0) }
                            guard pending.count - start >= FrameHeader.size + length else { break }
                            if pending[start + 1] == FrameKind.reply.rawValue { count += 1 }
                            start += FrameHeader.size + length
                        }
                        pending.removeFirst(start)
                    }
                    replies.store(count, ordering: .relaxed)
                }
                var rest = Array(batch[offset...])
                while sent < total {
                    #expect(UnixSocket.writeAll(fd, rest))
                    sent += 1000
                    rest = batch
                }
                await reader.value
                #expect(replies.load(ordering: .relaxed) == total)
            }
        }
    }
}
