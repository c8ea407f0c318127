import Testing
import TitanWire

// The control requests share one numbering: observability's `metrics`, the control channel's
// `heartbeat` and `cancel`, and the policies' `contract` and `policyStatistics` each have an op
// code of their own, every request
// survives encoding, and an op code nobody sends is a typed error. Pure in-process.

@Suite struct ControlRequestCoding {
    private let all: [ControlRequest] = [.health, .shutdown(timeout: .milliseconds(1_500)), .metrics, .heartbeat, .cancel(callID: 1 << 40), .contract, .policyStatistics]

    @Test func everyRequestRoundTripsWithAnOpCodeOfItsOwn() throws {
        for request in all {
            #expect(try ControlRequest(payload: request.payload) == request)
        }
        let ops = all.map { $0.payload[0] }
        #expect(Set(ops).count == all.count, "op codes: \(ops)")
        #expect(ops == [1, 2, 3, 4, 5, 6, 7])
    }

    @Test func anUnknownOpCodeIsAMalformedError() {
        for op: UInt8 in [0, 8, 255] {
            #expect(throws: WireError.malformed("unknown control request \(op)")) { try ControlRequest(payload: [op]) }
        }
        #expect(throws: WireError.self) { try ControlRequest(payload: []) }
    }
}
