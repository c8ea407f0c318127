import Distributed
import Glibc
import TitanPM

/// Writes what it is told to its standard output, for the tests of `titan logs`.
distributed actor Talker: ProcessService {
    static let name = "talker"

    distributed func say(_ line: String) {
        print(line)
        fflush(nil)
    }
}
