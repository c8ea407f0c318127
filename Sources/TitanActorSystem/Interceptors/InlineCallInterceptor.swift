import TitanCore

/// An interceptor whose work on most calls is bookkeeping before and after the call, which the
/// chain runs in line: no async layer, closure or existential async call of its own (each of
/// those costs on every call, on both sides). Only a call it asks to ``InlineStep/wrap`` goes
/// through its `interceptOutgoing`/`interceptIncoming`.
///
/// Titan's metrics and tracing interceptors are of this kind: metrics only observe, and
/// tracing wraps a call only when a tracer is in effect.
package protocol InlineCallInterceptor: CallInterceptor {
    /// Before `call` is sent: what this interceptor does with it.
    func beginOutgoing(_ call: OutgoingCall) -> InlineStep
    /// Before the method of `call` runs: what this interceptor does with it.
    func beginIncoming(_ call: IncomingCall) -> InlineStep
    /// The call `observation` was made for has ended: with `error`, or a reply if nil.
    func end(_ observation: InlineObservation, error: (any Error)?)
}

/// What an ``InlineCallInterceptor`` does with one call.
package enum InlineStep {
    /// Nothing: the call passes on untouched.
    case pass
    /// It is told when the call ends (``InlineCallInterceptor/end(_:error:)``).
    case observe(InlineObservation)
    /// It runs around the call: its `interceptOutgoing`/`interceptIncoming` is called.
    case wrap
}

/// What an ``InlineCallInterceptor`` keeps from the start of a call to its end.
package struct InlineObservation {
    /// The interceptor's own state for the call (its instruments, say).
    package let state: AnyObject & Sendable
    /// When the call started, on ``/TitanCore/SystemClock`` (its nanoseconds: a duration is
    /// one subtraction, where `ContinuousClock`'s `Duration` takes 128-bit divisions).
    package let start: ClockInstant

    package init(state: AnyObject & Sendable, start: ClockInstant) {
        self.state = state
        self.start = start
    }
}
