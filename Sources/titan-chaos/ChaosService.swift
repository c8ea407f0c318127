import Distributed
import Glibc
import TitanPM

/// The service every chaos target runs: cheap calls whose results can be checked, and an
/// endless stream.
distributed actor ChaosService: ProcessService {
    static let name = "chaos"

    distributed func add(_ a: Int, _ b: Int) -> Int { a + b }

    distributed func pid() -> Int32 { getpid() }

    /// 0, 1, 2, ... until the consumer stops.
    distributed func count() -> RemoteStream<Int> {
        RemoteStream { out in
            var i = 0
            while true {
                try await out.yield(i)
                i += 1
            }
        }
    }
}
