import Synchronization
import TitanActorSystem
import TitanCore
import TitanPolicies

/// Runs a method once per idempotency key (`@Idempotent`): the first call with a key runs,
/// calls with the same key that arrive while it runs wait for its reply, and later ones are
/// answered with the stored reply without running.
///
/// A call that fails (the method threw, or its task was cancelled) stores nothing: the next
/// waiting call runs the method in its place, and a later repeat runs it again.
final class IdempotentCalls: Sendable {
    /// What a waiting call does when its wait ends.
    enum Turn: Sendable {
        /// Answer with these reply bytes.
        case answer([UInt8])
        /// Run the method: the call that was running gave up.
        case run
    }

    private let store: Mutex<IdempotencyStore<String, [UInt8], UInt64, ClockInstant>>
    private let waiters: WaiterTable<Turn>
    private let nextWaiter = Atomic<UInt64>(0)
    private let clock: any RuntimeClock

    init(policy: IdempotencyPolicy, clock: any RuntimeClock) {
        store = Mutex(IdempotencyStore(policy: policy))
        waiters = WaiterTable(clock: clock)
        self.clock = clock
    }

    /// The reply of the call with `key`: stored, awaited from the call running now, or made
    /// by `body` (at most one `body` runs per key at a time). Waiting ends at `deadline`
    /// with ``/TitanCore/ProcessError/Code/timedOut``.
    func once(_ key: String, deadline: ClockInstant?, _ body: () async throws -> CallReply) async throws -> CallReply {
        let seq = nextWaiter.wrappingAdd(1, ordering: .relaxed).oldValue
        let clock = clock
        let waited = deadline.map { clock.remaining(until: $0) } ?? .zero
        let turn = try await waiters.wait(
            for: seq,
            deadline: deadline,
            onDeadline: { .failure(ProcessError.timedOut(after: waited)) },
            onAbandon: { [weak self] seq in self?.store.withLock { _ = $0.removeWaiters(of: key) { $0 == seq } } },
            immediate: {
                store.withLock { store -> Result<Turn, any Error>? in
                    switch store.begin(key, waiter: seq, now: clock.now) {
                    case .run: .success(.run)
                    case .wait: nil
                    case .completed(let reply): .success(.answer(reply))
                    }
                }
            }
        )
        switch turn {
        case .answer(let reply):
            return CallReply(payload: reply, channel: nil)
        case .run:
            let reply: CallReply
            do {
                reply = try await body()
            } catch {
                handOff(key)
                throw error
            }
            let bytes = reply.payload
            let waiting = store.withLock { $0.complete(key, with: bytes, now: clock.now) }
            for waiter in waiting { waiters.resume(waiter, with: .success(.answer(bytes))) }
            return reply
        }
    }

    /// The running call gave up: the first waiter still waiting runs the method instead.
    private func handOff(_ key: String) {
        var next = store.withLock { $0.abandon(key) }
        // A waiter whose own wait ended meanwhile cannot take over: pass the turn on.
        while let runner = next.runner, !waiters.resume(runner, with: .success(.run)) {
            next = store.withLock { $0.abandon(key) }
        }
    }
}
