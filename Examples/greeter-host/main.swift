import Distributed
import Greetings
import TitanPM

distributed actor Greeter: Greeting, ProcessService {
    static let name = "greeter"
    distributed func greet(_ name: String) -> String { "hello \(name)" }
}

ProcessManager.bootstrap(services: [Greeter.self])
