import Distributed
import TitanPM
import TitanPMMacros

struct SmallRecord: Codable, Sendable {
    var id: Int
    var score: Double
    var name: String
}

/// The service every RPC figure calls.
distributed actor BenchService: ProcessService {
    static let name = "bench"

    distributed func add(_ a: Int, _ b: Int) -> Int { a + b }

    /// About `microseconds` of CPU work: the kind of call a pool is for.
    distributed func spin(microseconds: Int) -> UInt64 {
        let end = ContinuousClock.now + .microseconds(microseconds)
        var x: UInt64 = 1
        while ContinuousClock.now < end {
            for _ in 0..<100 { x = x &* 6_364_136_223_846_793_005 &+ 1 }
        }
        return x
    }

    distributed func consume(_ bytes: [UInt8]) -> Int { bytes.count }

    distributed func consume(records: [SmallRecord]) -> Int { records.count }

    distributed func numbers(_ count: Int) -> RemoteStream<Int> {
        RemoteStream { out in
            for i in 0..<count { try await out.yield(i) }
        }
    }
}

/// `add` on a `@ServiceContract` service: the child runs it from the generated dispatch
/// table instead of looking the target up by its mangled name on every call.
@ServiceContract
distributed actor ContractedBench: ProcessService {
    static let name = "bench-contracted"

    distributed func add(_ a: Int, _ b: Int) -> Int { a + b }
}

/// `add`, a method without policies, on a service whose other method has one: what a call
/// costs when the serving side's policies are installed but have nothing to do for it.
@ServiceContract
distributed actor PoliciedBench: ProcessService {
    static let name = "bench-policies"

    distributed func add(_ a: Int, _ b: Int) -> Int { a + b }

    @RateLimit(1_000_000, per: .seconds(1), strategy: .tokenBucket)
    distributed func limited() -> Int { 0 }
}
