import Glibc
import TitanPM
import TitanTestServices

// Hosts the test services when a ProcessManager starts this executable as a child.
ProcessManager.bootstrap(services: allTestServices)

// Run directly, it is a parent for tests that need a parent process they can kill:
//   titan-test-host parent N [exit]   spawns N calculators (re-executing itself), prints
//                                     "child PID" for each, "sockets PREFIX" and "ready",
//                                     then waits to be killed (or, with `exit`, exits 0
//                                     without shutting its manager down).
//   titan-test-host intrude PATH PID  an unrelated process of the same user: tries the child
//                                     PID listening at PATH and prints "attempt: outcome" lines.
//   titan-test-host connect-as UID P  becomes user UID, connects to the socket at P, says
//                                     hello (without the secret), and prints the outcome.
let arguments = CommandLine.arguments
if arguments.count == 4, arguments[1] == "intrude", let pid = Int32(arguments[3]) {
    for (attempt, outcome) in Intrusion.attack(path: arguments[2], pid: pid).sorted(by: { $0.key < $1.key }) {
        print("\(attempt): \(outcome)")
    }
    exit(0)
}
if arguments.count >= 4, arguments[1] == "connect-as", let uid = UInt32(arguments[2]) {
    guard setgid(uid) == 0, setuid(uid) == 0 else {
        print("cannot become \(uid)")
        exit(69)
    }
    print(Intrusion.helloWithoutProof(path: arguments[3]))
    exit(0)
}
guard arguments.count >= 2, arguments[1] == "parent" else {
    print("usage: titan-test-host parent N [exit] | intrude PATH PID | connect-as UID PATH")
    exit(64)
}
let count = arguments.count > 2 ? Int(arguments[2]) ?? 2 : 2
let pm = ProcessManager()
for _ in 0..<count {
    let calculator = try await pm.spawn(Calculator.self)
    print("child \(try await calculator.pid())")
    fflush(nil)
}
print("sockets \(pm.socketDirectoryPath ?? "-")")
print("ready")
fflush(nil)
// `parent N exit`: end without a shutdown, as a program that returns from main does.
if arguments.count > 3, arguments[3] == "exit" { exit(0) }
while true {
    try await Task.sleep(for: .seconds(3600))
}
