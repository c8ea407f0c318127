// What the README's admin example takes from elsewhere in a program: its manager and service.
import Distributed
import TitanPM

/// The quick start's service.
distributed actor Calculator: ProcessService {
    static let name = "calculator"
    static let version = "1.0.0"
    distributed func add(_ a: Int, _ b: Int) -> Int { a + b }
}

/// The program's manager (children stop in `bootstrap()` and host their service).
let pm: ProcessManager = {
    ProcessManager.bootstrap()
    return ProcessManager()
}()
