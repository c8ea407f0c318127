import Distributed
import TitanPM

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
