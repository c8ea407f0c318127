import Glibc
import Logging
import TitanPM

// titan-chaos: kill storms under load, and what they leave behind.
//
//   swift run -c release titan-chaos [--seconds 600] [--callers 64] [--interval-ms 50]
//
// Four targets run at once for the given time, each killed with SIGKILL every interval while
// callers load it: one process with a restart policy, a pool of 4, a supervision tree of two
// children, and an open stream. Prints calls ok / failed by kind / hung / wrong per target,
// kill → serving p50/p99, this process's descriptors, threads, children, zombies and RSS
// before and after, and the time from a parent's SIGKILL to no child and no file left.

ProcessManager.bootstrap()

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--parent") { try await runAsParent() }

func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else { return fallback }
    return value
}

let seconds = option("--seconds", 60)
let callers = option("--callers", 64)
let interval = Duration.milliseconds(option("--interval-ms", 50))

func metric(_ name: String, _ value: Double, _ unit: String) {
    print("METRIC \(name) \(value.isFinite ? String(format2: value) : "null") \(unit)")
}

// Warm up once so lazily started runtime threads and timers (the runtime's, and those of
// Task.sleep's clocks) exist before the baseline.
do {
    let pm = ProcessManager()
    let service = try await pm.spawn(ChaosService.self)
    // Concurrent calls, so the cooperative pool has grown to its width.
    try await withThrowingTaskGroup(of: Int.self) { group in
        for i in 0..<64 { group.addTask { try await service.add(i, 1) } }
        try await group.waitForAll()
    }
    await pm.shutdown()
    try await Task.sleep(for: .milliseconds(1))
    try await ContinuousClock().sleep(for: .milliseconds(1))
}
let before = Vitals.now()
print("before: \(before)")
print("running \(seconds) s: \(callers) callers per target, a SIGKILL every \(interval) per target")
fflush(nil)

// Thousands of restarts: only warnings and errors are worth printing.
var logger = Logger(label: "titan.chaos")
logger.logLevel = .warning
let pm = ProcessManager(logger: logger)
let end = ContinuousClock.now + .seconds(seconds)
async let single = chaosSingle(pm, callers: callers / 4, interval: interval, until: end)
async let pool = chaosPool(pm, callers: callers / 4, interval: interval, until: end)
async let tree = chaosSupervisor(pm, callers: callers / 4, interval: interval, until: end)
async let stream = chaosStream(pm, interval: interval, until: end)
let tallies = try await [single, pool, tree, stream]
let shutdownStarted = ContinuousClock.now
await pm.shutdown(timeout: .seconds(10))
metric("shutdown_ms", Double((ContinuousClock.now - shutdownStarted).components.attoseconds) / 1e15, "ms")

// What is left must go without waiting on anything but the kernel's bookkeeping.
var after = Vitals.now()
for _ in 0..<100 where after.children > before.children || after.descriptors > before.descriptors || after.threads > before.threads {
    try await Task.sleep(for: .milliseconds(100))
    after = Vitals.now()
}
print("after:  \(after)")
if after.threads > before.threads {
    print("threads before: \(before.threadNames)\nthreads after: \(after.threadNames)")
}
if after.descriptors > before.descriptors {
    print("descriptors before: \(before.descriptorTargets)\ndescriptors after: \(after.descriptorTargets)")
}

var hung = 0
var wrong = 0
for tally in tallies {
    let failed = tally.failed.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    let unit = tally.name == "stream" ? "elements" : "calls"
    print("\(tally.name): \(unit) ok \(tally.ok), wrong \(tally.wrong), hung \(tally.hungCount), failed {\(failed)}, kills \(tally.kills)")
    metric("\(tally.name)_ok", Double(tally.ok), unit)
    metric("\(tally.name)_wrong", Double(tally.wrong), unit)
    metric("\(tally.name)_hung", Double(tally.hungCount), unit)
    metric("\(tally.name)_failed", Double(tally.failed.values.reduce(0, +)), unit)
    metric("\(tally.name)_kills", Double(tally.kills), "kills")
    metric("\(tally.name)_kill_to_serving_p50_ms", tally.healingMilliseconds(0.5), "ms")
    metric("\(tally.name)_kill_to_serving_p99_ms", tally.healingMilliseconds(0.99), "ms")
    hung += tally.hungCount
    wrong += tally.wrong
}
metric("descriptors_before", Double(before.descriptors), "fds")
metric("descriptors_after", Double(after.descriptors), "fds")
metric("threads_before", Double(before.threads), "threads")
metric("threads_after", Double(after.threads), "threads")
metric("titan_threads_before", Double(before.titanThreads), "threads")
metric("titan_threads_after", Double(after.titanThreads), "threads")
metric("children_after", Double(after.children), "processes")
metric("zombies_after", Double(after.zombies), "processes")
metric("rss_before_mb", before.residentMB, "MB")
metric("rss_after_mb", after.residentMB, "MB")

let death = try await measureParentDeath()
func milliseconds(_ duration: Duration?) -> Double {
    duration.map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000 } ?? .nan
}
print("parent SIGKILL: \(death.children) children gone after \(milliseconds(death.childrenGone)) ms; sockets \(death.directory) " +
      (death.filesGone.map { "gone after \(milliseconds($0)) ms" } ?? "still there"))
metric("parent_kill_children_gone_ms", milliseconds(death.childrenGone), "ms")
metric("parent_kill_files_gone_ms", milliseconds(death.filesGone), "ms")

// A thread more in the Swift runtime's or libdispatch's pools (they size themselves) is not
// Titan's; every thread of Titan's own is named titan-….
let leaked = after.descriptors > before.descriptors || after.children > before.children || after.zombies > 0
    || after.titanThreads > before.titanThreads
let clean = hung == 0 && wrong == 0 && !leaked && death.childrenGone != nil && death.filesGone != nil
print(clean ? "PASS: zero hung, zero wrong, zero leaked" : "FAIL: hung \(hung), wrong \(wrong), leaked \(leaked), parent death left \(death.filesGone == nil ? "files" : "nothing")")
exit(clean ? 0 : 1)
