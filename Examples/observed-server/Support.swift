// What the README's observability example takes from elsewhere in a program: its service and
// its tracer.
import Distributed
import Tracing
import TitanPM

/// The quick start's service.
distributed actor Calculator: ProcessService {
    static let name = "calculator"
    static let version = "1.0.0"
    distributed func add(_ a: Int, _ b: Int) -> Int { a + b }
}

/// The program's tracer: swift-otel's in a real program; here the one that records nothing.
let myTracer = NoOpTracer()
