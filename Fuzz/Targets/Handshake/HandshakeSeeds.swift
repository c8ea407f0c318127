import Distributed
import Glibc
import Synchronization
import TitanActorSystem
import TitanCore
import TitanWire

/// Builds seed byte streams from frames the runtime itself produces.
enum HandshakeSeeds {
    /// Captures call frames instead of sending them.
    private final class Recorder: CallRoute {
        let frames = Mutex<[FrameBuilder]>([])
        var defaultCallTimeout: Duration? { nil }
        var affinityExecutor: (any TaskExecutor)? { nil }

        func call(_ call: OutgoingCall) async throws -> CallReply {
            frames.withLock { $0.append(call.frame(at: SystemClock.shared.now)) }
            throw ProcessError.unsupported("recorded")
        }
    }

    static func make(system: ProcessActorSystem, secret: PeerSecret) -> [[UInt8]] {
        let recorder = Recorder()
        let remote = ProcessID("recorded")
        system.register(route: recorder, for: remote)
        let done = Semaphore()
        Task {
            let calculator = try FuzzCalculator.resolve(id: ProcessActorID(process: remote, instance: 0), using: system)
            let store = try FuzzStore.resolve(id: ProcessActorID(process: remote, instance: 0), using: system)
            _ = try? await calculator.add(2, 3)
            _ = try? await calculator.echo("hello")
            _ = try? await calculator.count([1, 2, 3])
            _ = try? await store.set("key", "value")
            _ = try? await store.get("key")
            done.signal()
        }
        done.wait()
        let calls = recorder.frames.withLock { $0 }.enumerated().map { index, builder -> [UInt8] in
            var builder = builder
            return builder.finish(id: UInt64(index + 1))
        }
        let goodHello = FrameBuilder.frame(.hello, id: 0, payload: Hello(pid: 1, callerName: "seed", proof: secret.bytes).payload)
        let badHello = FrameBuilder.frame(.hello, id: 0, payload: Hello(pid: 1, callerName: "seed", proof: [UInt8](repeating: 7, count: 32)).payload)
        let cancel = FrameBuilder.frame(.cancel, id: 1, payload: EmptyCollection())
        let control = FrameBuilder.frame(.control, id: 9, payload: ControlRequest.health.payload)
        let credit = FrameBuilder.frame(.streamCredit, id: 5, payload: [8])
        return [
            goodHello + calls.joined(),
            goodHello + calls[0] + cancel + control + credit,
            badHello + calls.joined(),
            calls[0] + goodHello,
            goodHello + goodHello,
            goodHello + calls[3] + calls[1],
        ]
    }
}
