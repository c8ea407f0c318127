import Distributed
import TitanPM

distributed actor Calculator: ProcessService {
    static let name = "calculator"
    static let version = "1.0.0"
    distributed func add(_ a: Int, _ b: Int) -> Int { a + b }
}

ProcessManager.bootstrap()          // first line of main: in a child, hosts the service

let pm = ProcessManager()
let calc = try await pm.spawn(Calculator.self,
                              options: SpawnOptions(restartPolicy: .onFailure(maxRestarts: 3)))
let five = try await calc.add(2, 3) // runs in the child process
print(five)                         // 5
await pm.shutdown()

// Not in the README: `my-server greet` also runs the spawn-by-name example against the
// greeter-host program built next to this one (ReadmeTests runs both).
if CommandLine.arguments.dropFirst().first == "greet" {
    try await spawnByName(greeterHost: siblingExecutable("greeter-host"))
}
