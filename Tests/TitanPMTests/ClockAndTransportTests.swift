import Glibc
import Synchronization
import Testing
import TitanActorSystem
import TitanCore
import TitanPMTestKit
import TitanTestServices
import TitanTransport
import TitanWire

/// A peer that answers the handshake and records every other frame without answering it.
private final class SilentPeer: Sendable {
    let connection: InMemoryConnection
    private let frames = Broadcast<Frame>()
    let recorder: EventRecorder<Frame>

    init(_ connection: InMemoryConnection) {
        self.connection = connection
        recorder = EventRecorder(frames.subscribe())
        let frames = frames
        connection.start(name: "silent-peer", handler: { [connection] inbound in
            guard case .frame(let frame) = inbound else { return }
            if frame.kind == .hello {
                let welcome = Welcome(pid: getpid(), process: "peer", service: "silent", serviceVersion: "1")
                try? connection.send(FrameBuilder.frame(.welcome, id: 0, payload: welcome.payload))
            } else {
                frames.emit(frame)
            }
        }, onClose: { _ in frames.finish() })
    }

    /// Answers call `id` with an empty reply.
    func reply(to id: UInt64) throws {
        try connection.send(FrameBuilder.frame(.reply, id: id, payload: EmptyCollection()))
    }
}

/// A call as the actor system would send it, with `deadline` on `clock`.
private func outgoing(deadline: ClockInstant?, timeout: Duration?) -> OutgoingCall {
    var arguments = FrameBuilder(kind: .call)
    arguments.writer.writeVarint(0)
    return OutgoingCall(
        target: CallTarget(identifier: "$s4Test5ProbeC4pingyyYaKFTE"), recipient: ProcessActorID(process: "peer", instance: 0),
        metadata: CallMetadata(), deadline: deadline, timeout: timeout, arguments: arguments
    )
}

extension TitanPMTests {
    /// The runtime's timing and its transport, tested without real time passing and without
    /// processes: the manual clock and the in-memory connection.
    @Suite struct ClockAndTransport {
        @Test func waiterTableEndsEachWaitExactlyOnce() async throws {
            let clock = ManualClock()
            let table = WaiterTable<String>(clock: clock)
            async let resumed = table.wait(for: 1)
            async let timedOut = table.wait(for: 2, deadline: clock.deadline(after: .seconds(5)), onDeadline: { .success("deadline") })
            let cancelled = Task { try await table.wait(for: 3) }
            while table.count < 3 { await Task.yield() }
            #expect(table.resume(1, with: .success("value")))
            #expect(!table.resume(1, with: .success("again")))
            clock.advance(by: .seconds(4))
            #expect(table.count == 2)
            clock.advance(by: .seconds(1))
            cancelled.cancel()
            #expect(try await resumed == "value")
            #expect(try await timedOut == "deadline")
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            table.close(with: ProcessError.shuttingDown)
            await #expect(throws: ProcessError.shuttingDown) { try await table.wait(for: 4) }
            #expect(clock.pendingTimers == 0)
        }

        @Test func aCallTimesOutWhenTheClockPassesItsDeadlineAndTheCalleeIsToldToCancel() async throws {
            let clock = ManualClock()
            let (callerEnd, peerEnd) = InMemoryConnection.pair()
            let peer = SilentPeer(peerEnd)
            let (client, welcome) = try await CallClient.connect(over: callerEnd, timeout: .seconds(5), callerName: "test", clock: clock) { client, reason in
                client.failAll(.connectionLost("\(reason)"))
            }
            #expect(welcome.service == "silent")

            // Answered before its deadline: the reply wins.
            let answered = Task { try await client.call(outgoing(deadline: clock.deadline(after: .seconds(10)), timeout: .seconds(10))) }
            let first = try await peer.recorder.first("the first call") { $0.kind == .call }
            try peer.reply(to: first.id)
            #expect(try await answered.value.byteCount == 0)

            // Not answered: the caller gives up exactly when the clock says, and tells the callee.
            let call = Task { try await client.call(outgoing(deadline: clock.deadline(after: .seconds(30)), timeout: .seconds(30))) }
            let second = try await peer.recorder.first("the second call") { $0.kind == .call && $0.id != first.id }
            await clock.waitForTimers()
            clock.advance(by: .seconds(29))
            #expect(client.inFlight == 1)
            clock.advance(by: .seconds(1))
            await #expect(throws: ProcessError.timedOut(after: .seconds(30))) { try await call.value }
            let cancel = try await peer.recorder.first("the cancel frame") { $0.kind == .cancel }
            #expect(cancel.id == second.id)
            #expect(client.inFlight == 0)

            // The connection ends: waiting and later calls fail with the owner's error.
            let pending = Task { try await client.call(outgoing(deadline: nil, timeout: nil)) }
            try await peer.recorder.count("the third call", 3) { $0.kind == .call }
            peerEnd.close()
            await #expect(throws: ProcessError.connectionLost("closed by peer")) { try await pending.value }
            await #expect(throws: ProcessError.connectionLost("closed by peer")) { try await client.call(outgoing(deadline: nil, timeout: nil)) }
        }

        @Test func oversizedFramesAreReportedNotDelivered() async throws {
            let (a, b) = InMemoryConnection.pair(maxFrameSize: 64)
            let delivered = Broadcast<FrameInbound>()
            let recorder = EventRecorder(delivered.subscribe())
            b.start(name: "receiver", handler: { delivered.emit($0) }, onClose: { _ in delivered.finish() })
            a.start(name: "sender", handler: { _ in }, onClose: { _ in })
            try a.send(FrameBuilder.frame(.call, id: 7, payload: [UInt8](repeating: 1, count: 100)))
            try a.send(FrameBuilder.frame(.call, id: 8, payload: [UInt8](repeating: 2, count: 10)))
            let both = try await recorder.count("two frames", 2) { _ in true }
            guard case .oversized(let header) = both[0], case .frame(let frame) = both[1] else {
                Issue.record("unexpected \(both)")
                return
            }
            #expect(header.id == 7 && header.length == 100)
            #expect(frame.id == 8 && frame.payload == [UInt8](repeating: 2, count: 10))
        }

        @Test func restartSchedulerBacksOffAndGivesUpWithinItsWindow() {
            var scheduler = RestartScheduler(policy: .onFailure(maxRestarts: 3, within: .seconds(60), backoff: .exponential(initial: .seconds(1), factor: 2)))
            let start = ClockInstant(nanoseconds: 1_000_000_000)
            let crash = Termination.signaled(.kill)
            #expect(scheduler.decide(after: .exited(code: 0), at: start) == .none)
            #expect(scheduler.decide(after: crash, at: start) == .restart(after: .seconds(1), attempt: 1))
            #expect(scheduler.decide(after: crash, at: start.advanced(by: .seconds(10))) == .restart(after: .seconds(2), attempt: 2))
            #expect(scheduler.decide(after: crash, at: start.advanced(by: .seconds(20))) == .restart(after: .seconds(4), attempt: 3))
            #expect(scheduler.decide(after: crash, at: start.advanced(by: .seconds(30))) == .giveUp(restarts: 3))
            // Once the first restart has left the window, one more is allowed.
            #expect(scheduler.decide(after: crash, at: start.advanced(by: .seconds(61))) == .restart(after: .seconds(4), attempt: 3))
            var window = SlidingWindow(length: .seconds(5))
            window.record(at: start)
            window.record(at: start.advanced(by: .seconds(4)))
            #expect(window.count(at: start.advanced(by: .seconds(5))) == 2)
            #expect(window.count(at: start.advanced(by: .seconds(6))) == 1)
        }

        @Test func aRestartWaitsForItsBackoffOnTheManagersClock() async throws {
            let clock = ManualClock()
            try await withProcessManager(clock: clock) { pm in
                let calc = try await pm.spawn(Calculator.self, options: SpawnOptions(
                    callTimeout: nil, restartPolicy: .onFailure(maxRestarts: 5, within: .seconds(60), backoff: .constant(.seconds(30)))
                ))
                let events = EventRecorder(pm)
                try await pm.simulateCrash(of: calc.id.process)
                try await events.first("restarting") { $0.status == .restarting }
                // The backoff is a timer on the manual clock: nothing restarts until it is moved.
                await clock.waitForTimers()
                clock.advance(by: .seconds(29))
                #expect(pm.process(id: calc.id.process)?.status == .restarting)
                clock.advance(by: .seconds(1))
                let info = try await pm.awaitRecovery(of: calc.id.process)
                #expect(info.restarts == 1)
                #expect(try await calc.add(2, 3) == 5)
            }
        }

        @Test func supervisorIntensityCountsOnlyRestartsWithinItsPeriod() async throws {
            let clock = ManualClock()
            try await withProcessManager(clock: clock) { pm in
                let root = try await pm.supervisor(intensity: 1, within: .seconds(60)) {
                    Child(Calculator.self, id: "worker")
                }
                let events = EventRecorder(root)
                func crashWorker(_ n: Int) async throws {
                    let pid = try #require(await root.children.first?.pid)
                    Glibc.kill(pid, SIGKILL)
                    try await events.count("restart \(n)", n) { if case .restarted = $0 { true } else { false } }
                }
                try await crashWorker(1)
                // A minute later the first restart no longer counts: the second is allowed.
                clock.advance(by: .seconds(61))
                try await crashWorker(2)
                // A third within the same minute exceeds the intensity.
                let pid = try #require(await root.children.first?.pid)
                Glibc.kill(pid, SIGKILL)
                let failure = try await events.first("the supervisor gives up") { if case .failed = $0 { true } else { false } }
                guard case .failed(_, let error) = failure else { return }
                #expect(error.code == .intensityExceeded)
            }
        }
    }
}
