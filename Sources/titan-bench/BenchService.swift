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

    distributed func consume(_ bytes: [UInt8]) -> Int { bytes.count }

    distributed func consume(records: [SmallRecord]) -> Int { records.count }

    distributed func numbers(_ count: Int) -> RemoteStream<Int> {
        RemoteStream { out in
            for i in 0..<count { try await out.yield(i) }
        }
    }
}
