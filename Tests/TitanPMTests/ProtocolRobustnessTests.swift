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

/// Captures call frames instead of sending them, to learn real target identifiers.
private final class RecordingRoute: CallRoute {
    let frames = Mutex<[FrameBuilder]>([])
    var defaultCallTimeout: Duration? { nil }

    func call(_ call: OutgoingCall) async throws -> CallReply {
        frames.withLock { $0.append(call.frame(at: SystemClock.shared.now)) }
        throw ProcessError.unsupported("recorded, not sent")
    }
}

/// The target identifier and frame that a real `Calculator.add` call produces.
func recordedAddCall(_ system: ProcessActorSystem) async throws -> FrameBuilder {
    let route = RecordingRoute()
    let id = ProcessID("recorder-\(UInt32.random(in: 0...UInt32.max))")
    system.register(route: route, for: id)
    defer { system.unregisterRoute(for: id) }
    let proxy = try Calculator.resolve(id: ProcessActorID(process: id, instance: 0), using: system)
    _ = try? await proxy.add(1, 2)
    return try #require(route.frames.withLock { $0.first })
}

func callMessage(of builder: FrameBuilder) throws -> CallEnvelope {
    var builder = builder
    let bytes = builder.finish(id: 1)
    return try CallEnvelope(payload: Array(bytes[FrameHeader.size...]))
}

/// A call frame with the given parts, built the way the runtime builds one.
func callFrame(target: String, instance: UInt64 = 0, arguments: (inout ByteWriter) -> Void) -> FrameBuilder {
    var builder = FrameBuilder(kind: .call)
    builder.writer.writeVarint(0) // no generic substitutions
    arguments(&builder.writer)
    CallEnvelope.writeTrailer(into: &builder, instance: instance, target: target, metadata: CallMetadata())
    return builder
}

/// A client on the child's listening socket, introduced by the manager (it proves the secret).
func connectRaw(_ pm: ProcessManager, _ id: ProcessID) async throws -> CallClient {
    let (client, welcome) = try await CallClient.connect(to: pm.introduction(to: id), maxFrameSize: 1 << 20, timeout: .seconds(5), callerName: "test") { client, reason in
        client.failAll(.connectionLost("\(reason)"))
    }
    #expect(welcome.process == id)
    return client
}

/// A raw socket to the child's listening socket, nothing sent yet.
func connectSocket(_ pm: ProcessManager, _ id: ProcessID) throws -> Int32 {
    try UnixSocket.connect(path: pm.introduction(to: id).socketPath)
}

/// The bytes of a hello frame carrying `proof`.
func helloFrame(proof: [UInt8]) -> [UInt8] {
    FrameBuilder.frame(.hello, id: 0, payload: Hello(pid: getpid(), callerName: "raw test", proof: proof).payload)
}

/// Reads one frame from a raw socket, waiting at most 5 s.
func readFrame(_ fd: Int32) -> Frame? {
    var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&pollfd, 1, 5000) > 0, let headerBytes = UnixSocket.readExactly(fd, count: FrameHeader.size) else { return nil }
    guard let header = headerBytes.withUnsafeBytes({ try? FrameHeader.parse($0.baseAddress!) }) else { return nil }
    guard let payload = header.length == 0 ? [] : UnixSocket.readExactly(fd, count: Int(header.length)) else { return nil }
    return Frame(kind: header.kind, flags: header.flags, id: header.id, payload: payload)
}

func failure(of frame: Frame) -> (any Error)? {
    guard frame.kind == .failure else { return nil }
    var reader = frame.reader
    return RemoteFailure.read(from: &reader, decoder: WireDecoder())
}

extension TitanPMTests {
    /// Bad input gets a typed error and the child keeps serving.
    @Suite struct ProtocolRobustness {
        @Test func garbageBytesCloseThatConnectionOnly() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let fd = try connectSocket(pm, calc.id.process)
                defer { close(fd) }
                var generator = SystemRandomNumberGenerator()
                let garbage = (0..<256).map { _ in UInt8.random(in: 0...255, using: &generator) } 
                #expect(UnixSocket.writeAll(fd, [0x00] + garbage))
                // The child answers with a protocol error frame, then closes the connection.
                var received: [UInt8] = []
                while let chunk = UnixSocket.readSome(fd, timeout: .seconds(5)) { received += chunk }
                let header = try #require(received.count >= FrameHeader.size ? received.withUnsafeBytes { try? FrameHeader.parse($0.baseAddress!) } : nil)
                #expect(header.kind == .protocolError)
                var reader = ByteReader(Array(received[FrameHeader.size...]))
                #expect(try reader.readString().contains("magic"))
                // The child still serves the existing reference and new connections.
                #expect(try await calc.add(2, 2) == 4)
                let fresh = try await connectRaw(pm, calc.id.process)
                let reply = try await fresh.exchange(recordedAddCall(pm.actorSystem), timeout: .seconds(5))
                #expect(reply.kind == .reply)
                #expect(try WireDecoder().decode(Int.self, from: reply.payload) == 3)
                fresh.connection.close()
            }
        }

        @Test func callBeforeHelloIsRejected() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let fd = try connectSocket(pm, calc.id.process)
                defer { close(fd) }
                var frame = try await recordedAddCall(pm.actorSystem)
                #expect(UnixSocket.writeAll(fd, frame.finish(id: 1)))
                var received: [UInt8] = []
                while let chunk = UnixSocket.readSome(fd, timeout: .seconds(5)) { received += chunk }
                #expect(received.count >= FrameHeader.size)
                #expect(received[1] == FrameKind.protocolError.rawValue)
                #expect(try await calc.add(1, 1) == 2)
            }
        }

        @Test func unknownTargetAndUnknownActorGetTypedErrors() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let client = try await connectRaw(pm, calc.id.process)
                defer { client.connection.close() }

                let unknown = try await client.exchange(callFrame(target: "$s4Nope6ActorC3fooyyYaKFTE") { _ in }, timeout: .seconds(5))
                #expect(failure(of: unknown) as? ProcessError == .unknownTarget("$s4Nope6ActorC3fooyyYaKFTE"))

                let add = try callMessage(of: await recordedAddCall(pm.actorSystem))
                let wrongActor = try await client.exchange(callFrame(target: add.target, instance: 99) { _ in }, timeout: .seconds(5))
                #expect(failure(of: wrongActor) as? ProcessError == .unknownActor(ProcessActorID(process: calc.id.process, instance: 99)))
                #expect(try await calc.add(1, 1) == 2)
            }
        }

        @Test func undecodableArgumentsGetATypedError() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let client = try await connectRaw(pm, calc.id.process)
                defer { client.connection.close() }
                let add = try callMessage(of: await recordedAddCall(pm.actorSystem))
                let encoder = WireEncoder()
                // add(Int, Int) receiving a string and nothing else.
                let reply = try await client.exchange(callFrame(target: add.target) { writer in
                    try? encoder.encode("not a number", into: &writer)
                }, timeout: .seconds(5))
                guard let error = failure(of: reply) as? ProcessError, error.code == .invalidArguments else {
                    Issue.record("expected invalidArguments, got \(String(describing: failure(of: reply)))")
                    return
                }
                #expect(error.message.contains("argument 0"))

                // A payload too short to hold a call at all.
                var truncated = FrameBuilder(kind: .call)
                truncated.writer.writeByte(1)
                let malformed = try await client.exchange(truncated, timeout: .seconds(5))
                guard (failure(of: malformed) as? ProcessError)?.code == .invalidArguments else {
                    Issue.record("expected invalidArguments for a malformed call")
                    return
                }
                // Same connection, a good call: still served.
                let good = try await client.exchange(callFrame(target: add.target) { writer in
                    try? encoder.encode(20, into: &writer)
                    try? encoder.encode(22, into: &writer)
                }, timeout: .seconds(5))
                #expect(try WireDecoder().decode(Int.self, from: good.payload) == 42)
            }
        }

        @Test func oversizedMessagesGetATypedErrorAndLoseNothing() async throws {
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(maxMessageSize: 4096))
                // Too large to send: refused before it leaves.
                await #expect(throws: ProcessError.self) { _ = try await calc.reverse([UInt8](repeating: 1, count: 8192)) }
                do {
                    _ = try await calc.reverse([UInt8](repeating: 1, count: 8192))
                } catch let error as ProcessError {
                    #expect(error.code == .messageTooLarge)
                    #expect(error.limit == 4096)
                    #expect(error.message.contains("message of 8"))
                }
                // Too large a reply: the child answers with the error instead.
                do {
                    _ = try await calc.bytes(count: 10_000)
                    Issue.record("an oversized reply was delivered")
                } catch let error as ProcessError {
                    #expect(error.code == .messageTooLarge)
                    #expect(error.limit == 4096)
                }
                #expect(try await calc.reverse([1, 2, 3]) == [3, 2, 1])

                // A peer that ignores the limit: the child skips the frame, answers its call
                // with the error, and keeps the connection.
                let fd = try connectSocket(pm, calc.id.process)
                defer { close(fd) }
                #expect(UnixSocket.writeAll(fd, helloFrame(proof: try pm.introduction(to: calc.id.process).secret.bytes)))
                #expect(readFrame(fd)?.kind == .welcome)
                var huge = FrameBuilder(kind: .call)
                huge.writer.writeBytes([UInt8](repeating: 0xAB, count: 100_000))
                #expect(UnixSocket.writeAll(fd, huge.finish(id: 777)))
                let rejected = try #require(readFrame(fd))
                #expect(rejected.id == 777)
                #expect(failure(of: rejected) as? ProcessError == .messageTooLarge(size: 100_000, limit: 4096))
                let add = try callMessage(of: await recordedAddCall(pm.actorSystem))
                var small = callFrame(target: add.target) { writer in
                    try? WireEncoder().encode(1, into: &writer)
                    try? WireEncoder().encode(1, into: &writer)
                }
                #expect(UnixSocket.writeAll(fd, small.finish(id: 778)))
                let answer = try #require(readFrame(fd))
                #expect(answer.id == 778)
                #expect(try WireDecoder().decode(Int.self, from: answer.payload) == 2)
            }
        }
    }
}
