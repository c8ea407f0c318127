import Glibc
import TitanPM
import TitanTestServices

// Hosts the test services when a ProcessManager starts this executable as a child.
ProcessManager.bootstrap(services: allTestServices)

// Run directly, it is a parent for tests that need a parent process they can kill:
//   titan-test-host parent N   spawns N calculators (re-executing itself), prints
//                              "child PID" for each and "ready", then waits to be killed.
//   titan-test-host intrude PATH PID
//                              an unrelated process of the same user: tries the child PID
//                              listening at PATH and prints "attempt: outcome" lines.
let arguments = CommandLine.arguments
if arguments.count == 4, arguments[1] == "intrude", let pid = Int32(arguments[3]) {
    for (attempt, outcome) in Intrusion.attack(path: arguments[2], pid: pid).sorted(by: { $0.key < $1.key }) {
        print("\(attempt): \(outcome)")
    }
    exit(0)
}
guard arguments.count >= 2, arguments[1] == "parent" else {
    print("usage: titan-test-host parent N")
    exit(64)
}
let count = arguments.count > 2 ? Int(arguments[2]) ?? 2 : 2
let pm = ProcessManager()
for _ in 0..<count {
    let calculator = try await pm.spawn(Calculator.self)
    print("child \(try await calculator.pid())")
    fflush(nil)
}
print("ready")
fflush(nil)
while true {
    try await Task.sleep(for: .seconds(3600))
}
