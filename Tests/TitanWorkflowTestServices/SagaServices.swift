import Distributed
import Glibc
import TitanPM

// The three services of the spec's order saga. Each records what it did with a timestamp from
// CLOCK_MONOTONIC, which is the same clock in every process, so a test can order calls made to
// different processes.

/// Nanoseconds on the machine-wide monotonic clock.
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// One thing a saga service did.
public struct SagaAction: Codable, Sendable, Hashable {
    /// `reserve`, `cancelReservation`, `charge`, `refund`, `ship`.
    public var action: String
    /// The reservation, charge or order concerned.
    public var subject: String
    /// When, on the machine-wide monotonic clock.
    public var at: UInt64
    /// The process that did it.
    public var pid: Int32
}

/// What a shipping failure says.
public struct ShippingFailure: Error, Codable, Sendable, Hashable {
    public var reason: String
}

/// What a failing refund says.
public struct RefundFailure: Error, Codable, Sendable, Hashable {
    public var attempt: Int
}

/// Reserves stock for orders.
public distributed actor Inventory: ProcessService {
    public static let name = "inventory"
    private var actions: [SagaAction] = []

    /// Reserves `items` for an order; returns the reservation id.
    public distributed func reserve(_ items: [String], key: String) -> String {
        let id = "reservation-\(key)"
        actions.append(SagaAction(action: "reserve", subject: id, at: monotonicNanoseconds(), pid: getpid()))
        return id
    }

    /// Releases a reservation.
    public distributed func cancelReservation(_ id: String) {
        actions.append(SagaAction(action: "cancelReservation", subject: id, at: monotonicNanoseconds(), pid: getpid()))
    }

    public distributed func history() -> [SagaAction] { actions }
}

/// Charges and refunds payments; refunds can be told to fail.
public distributed actor Payments: ProcessService {
    public static let name = "payments"
    private var actions: [SagaAction] = []
    private var refundFailures = 0
    private var refundAttempts = 0

    /// The next `count` refunds fail with ``RefundFailure``.
    public distributed func failNextRefunds(_ count: Int) {
        refundFailures = count
    }

    /// Charges `amount`; returns the charge id.
    public distributed func charge(_ amount: Int, key: String) -> String {
        let id = "charge-\(amount)"
        actions.append(SagaAction(action: "charge", subject: id, at: monotonicNanoseconds(), pid: getpid()))
        return id
    }

    /// Refunds a charge, unless told to fail.
    public distributed func refund(_ chargeID: String) throws {
        refundAttempts += 1
        if refundFailures > 0 {
            refundFailures -= 1
            throw RefundFailure(attempt: refundAttempts)
        }
        actions.append(SagaAction(action: "refund", subject: chargeID, at: monotonicNanoseconds(), pid: getpid()))
    }

    public distributed func history() -> [SagaAction] { actions }
    public distributed func refundCalls() -> Int { refundAttempts }
}

/// Ships orders, or fails to when told to.
public distributed actor Shipping: ProcessService {
    public static let name = "shipping"
    private var failing = false
    private var actions: [SagaAction] = []

    public distributed func setFailing(_ failing: Bool) {
        self.failing = failing
    }

    /// Ships `order`; returns the tracking number.
    public distributed func ship(_ order: String) throws -> String {
        if failing { throw ShippingFailure(reason: "no carrier for \(order)") }
        actions.append(SagaAction(action: "ship", subject: order, at: monotonicNanoseconds(), pid: getpid()))
        return "TRACK-\(order)"
    }

    public distributed func history() -> [SagaAction] { actions }
}
