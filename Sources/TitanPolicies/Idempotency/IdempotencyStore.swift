/// Results remembered by idempotency key, so a repeated call returns the first call's result
/// without running again, and concurrent duplicates wait for the first instead of running
/// beside it.
///
/// A pure state machine, generic over what a waiting call is (`Waiter`: in the runtime, a
/// continuation): ``begin(_:waiter:now:)`` says whether to run, wait or answer at once, and
/// ``complete(_:with:now:)`` hands back the waiters to resume.
///
/// ```swift
/// switch store.begin(key, waiter: continuation, now: clock.now) {
/// case .run:                 // run the method, then: for w in store.complete(key, with: result, now: clock.now) { w.resume(result) }
/// case .wait:                // the continuation is resumed by whoever completes the key
/// case .completed(let r):    // answer r without running
/// }
/// ```
public struct IdempotencyStore<Key: Hashable & Sendable, Value: Sendable, Waiter: Sendable, Instant: InstantProtocol & Sendable>: Sendable
where Instant.Duration == Duration {
    /// What to do with a call.
    public enum Admission: Sendable {
        /// First with this key: run the method, then ``IdempotencyStore/complete(_:with:now:)``
        /// or ``IdempotencyStore/abandon(_:)``.
        case run
        /// A call with this key is running; the waiter was queued and will be handed back
        /// when it completes.
        case wait
        /// Already done: answer with this result.
        case completed(Value)
    }

    /// What happens to the waiters when a running call gives up without a result.
    public struct HandOff: Sendable {
        /// The waiter that should now run the method (it got ``Admission/run``'s role), or
        /// nil if nobody was waiting.
        public var runner: Waiter?
    }

    /// How long a result is remembered.
    public let ttl: Duration
    /// Results remembered at most; the least recently used goes first. Running calls are not
    /// counted and never dropped.
    public let maxEntries: Int
    private var running: [Key: [Waiter]] = [:]
    private var done = LRUTable<Key, (value: Value, expires: Instant)>()

    /// An empty store that remembers up to `maxEntries` results for `ttl` each.
    public init(ttl: Duration, maxEntries: Int) {
        self.ttl = ttl
        self.maxEntries = max(maxEntries, 1)
    }

    /// A store configured by `policy`.
    public init(policy: IdempotencyPolicy) {
        self.init(ttl: policy.ttl, maxEntries: policy.maxEntries)
    }

    /// The calls running now.
    public var runningCount: Int { running.count }
    /// The results remembered now (some may have expired but not been looked at yet).
    public var storedCount: Int { done.count }

    /// Admits a call with `key` at `now`; `waiter` is queued only if the answer is ``Admission/wait``.
    public mutating func begin(_ key: Key, waiter: Waiter, now: Instant) -> Admission {
        if let entry = done.use(key) {
            if now < entry.expires { return .completed(entry.value) }
            done.remove(key)
        }
        if running[key] != nil {
            running[key]!.append(waiter)
            return .wait
        }
        running[key] = []
        return .run
    }

    /// Stores the result of the running call with `key` and returns the waiters, to be
    /// answered with the same result.
    public mutating func complete(_ key: Key, with value: Value, now: Instant) -> [Waiter] {
        let waiters = running.removeValue(forKey: key) ?? []
        if done.count >= maxEntries, done.peek(key) == nil { _ = done.removeLeastRecent() }
        done.set(key, (value, now.advanced(by: ttl)))
        return waiters
    }

    /// The running call with `key` ended without a result worth keeping (it was cancelled,
    /// or its process died): the first waiter, if any, becomes the runner; the others keep
    /// waiting for it.
    public mutating func abandon(_ key: Key) -> HandOff {
        guard var waiters = running[key] else { return HandOff(runner: nil) }
        guard !waiters.isEmpty else {
            running[key] = nil
            return HandOff(runner: nil)
        }
        let runner = waiters.removeFirst()
        running[key] = waiters
        return HandOff(runner: runner)
    }

    /// Removes the waiters of `key` that satisfy `predicate` (their calls were cancelled) and
    /// returns them.
    public mutating func removeWaiters(of key: Key, where predicate: (Waiter) -> Bool) -> [Waiter] {
        guard let waiters = running[key] else { return [] }
        running[key] = waiters.filter { !predicate($0) }
        return waiters.filter(predicate)
    }

    /// Forgets the stored result for `key`, so the next call runs again.
    public mutating func forget(_ key: Key) {
        done.remove(key)
    }
}
