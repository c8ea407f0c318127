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
}
