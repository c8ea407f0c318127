import Glibc
import TitanPM
import TitanTransport
import TitanWire

// titan-bench: speed and memory of Titan RPC against a raw floor measured in the same run.
//
//   swift run -c release titan-bench            all figures (runs the pinned and split ones in sub-processes)
//   swift run -c release titan-bench --json     the same, as one JSON object
//   titan-bench --pin                           only the figures pinned to CPU 0
//   titan-bench --split                         only the figures with this process on CPU 0, peers on CPU 1
//   titan-bench --quick                         fewer iterations (a smoke test)
//   titan-bench --observability                 only the cost of metrics and tracing (on against off)
//   titan-bench --scale [N]                     only the scale figures: one manager, N idle children (500)
//   titan-bench --reload [--quick] [--json]     p50/p99 during a rolling reload of a pool of 4 beside steady state
//   titan-bench --workflows [--quick] [--json]  workflow figures: journaling cost per stage, durable vs in-memory
//   titan-bench --mesh [--pin] [--quick] [--json]  child→child call p50 beside parent→child, events/s to 3 subscribers
//   titan-bench --throughput-loop | --latency-loop [--uncontracted] | --raw-throughput-loop   for profilers

ProcessManager.bootstrap()

/// The managers of the figures below measure the runtime itself: observability (on by default
/// for users) is off, and its cost is measured on its own (`--observability`).
func benchManager() -> ProcessManager {
    ProcessManager(observability: .disabled)
}

let arguments = Set(CommandLine.arguments.dropFirst())
if arguments.contains("--raw-echo") {
    rawEcho(fd: 3)
}

if arguments.contains("--codec-loop") {
    // For profilers: the codec on 100 records, nothing else.
    let records = (0..<100).map { SmallRecord(id: $0, score: Double($0) / 3, name: "record-\($0)") }
    for _ in 0..<200 {
        let bytes = try WireEncoder().encode(records)
        _ = try WireDecoder().decode([SmallRecord].self, from: bytes)
    }
    exit(0)
}

if arguments.contains("--stream-loop") {
    // For profilers: one child streaming 10M Ints to this process, nothing else.
    let pm = benchManager()
    let service = try await pm.spawn(BenchService.self, options: SpawnOptions(callTimeout: nil))
    let start = nowNanos()
    var received = 0
    for try await _ in try await service.numbers(10_000_000) { received += 1 }
    print("\(received) elements, \(Double(received) / (Double(nowNanos() - start) / 1e9)) per s")
    await pm.shutdown()
    exit(0)
}

if arguments.contains("--throughput-loop") {
    // For profilers: 64 callers, 500k calls to one child (`--uncontracted`: a service without
    // @ServiceContract, whose calls go through executeDistributedTarget).
    let pm = benchManager()
    let rate: Double
    if arguments.contains("--uncontracted") {
        let service = try await pm.spawn(BenchService.self, options: SpawnOptions(callTimeout: nil))
        rate = try await measureThroughput(calls: 500_000, concurrency: 64) { _ = try await service.add(1, 2) }
    } else {
        let service = try await pm.spawn(ContractedBench.self, options: SpawnOptions(callTimeout: nil))
        rate = try await measureThroughput(calls: 500_000, concurrency: 64) { _ = try await service.add(1, 2) }
    }
    print("\(rate) calls/s")
    await pm.shutdown()
    exit(0)
}

if arguments.contains("--raw-throughput-loop") {
    // For profilers: the throughput floor alone.
    print("\(try await measureRawThroughput(messages: 2_000_000)) messages/s")
    exit(0)
}

if arguments.contains("--observability") {
    // Only the observability figures: metrics and tracing on against everything off.
    let report = Report(json: arguments.contains("--json"))
    try await observabilityFigures(report: report, quick: arguments.contains("--quick"))
    if report.json { report.printJSON() }
    exit(0)
}

if arguments.contains("--latency-loop") {
    // For profilers: 200k round trips, one in flight, both processes pinned to CPU 0
    // (`--uncontracted`: a service without @ServiceContract).
    pinThisProcess(toCPU: 0)
    let pm = benchManager()
    let samples: Samples
    if arguments.contains("--uncontracted") {
        samples = try await latencyLoop(try await pm.spawn(BenchService.self, options: SpawnOptions(callTimeout: nil)))
    } else {
        samples = try await latencyLoop(try await pm.spawn(ContractedBench.self, options: SpawnOptions(callTimeout: nil)))
    }
    print("p50 \(samples.median) us")
    await pm.shutdown()
    exit(0)
}

/// 200k round trips of `add` (TITAN_BENCH_ITERATIONS), off the main actor like the figures in
/// the report (top-level code and its closures run on the main actor, which would add two
/// executor hops to every call).
func latencyLoop(_ service: BenchService) async throws -> Samples {
    let iterations = latencyIterations()
    return try await measureLatency(warmup: min(2_000, iterations / 10), iterations: iterations) { _ = try await service.add(1, 2) }
}

/// The same loop on the `@ServiceContract` twin.
func latencyLoop(_ service: ContractedBench) async throws -> Samples {
    let iterations = latencyIterations()
    return try await measureLatency(warmup: min(2_000, iterations / 10), iterations: iterations) { _ = try await service.add(1, 2) }
}

func latencyIterations() -> Int {
    getenv("TITAN_BENCH_ITERATIONS").flatMap { Int(String(cString: $0)) } ?? 200_000
}

if let index = CommandLine.arguments.firstIndex(of: "--scale") {
    // One manager with N idle children (500 by default).
    let count = CommandLine.arguments.dropFirst(index + 1).first.flatMap { Int($0) } ?? 500
    let report = Report(json: arguments.contains("--json"))
    try await measureScale(children: count, report: report)
    if report.json { report.printJSON() }
    exit(0)
}

if arguments.contains("--reload") {
    let report = Report(json: arguments.contains("--json"))
    try await measureReload(report: report, quick: arguments.contains("--quick"))
    if report.json { report.printJSON() }
    exit(0)
}

if arguments.contains("--mesh") {
    // `--pin`: this process and the children it starts on CPU 0, so that both round trips are
    // one-core ping-pongs (unpinned, where the scheduler puts each pair changes either by 5x).
    if arguments.contains("--pin") { pinThisProcess(toCPU: 0) }
    let report = Report(json: arguments.contains("--json"))
    try await measureMesh(report: report, quick: arguments.contains("--quick"))
    if report.json { report.printJSON() }
    exit(0)
}

if arguments.contains("--workflows") {
    let report = Report(json: arguments.contains("--json"))
    try await workflowFigures(report: report, quick: arguments.contains("--quick"))
    if report.json { report.printJSON() }
    exit(0)
}

if arguments.contains("--idle-child") {
    // For memory investigations: spawn one child, print its pid, wait for a line on stdin.
    let pm = benchManager()
    let service = try await pm.spawn(BenchService.self)
    _ = try await service.add(1, 1)
    print(pm.process(id: service.id.process)?.pid ?? 0)
    fflush(nil)
    _ = readLine()
    await pm.shutdown()
    exit(0)
}

// `--pin`: this process and its children on CPU 0. `--split`: this process on CPU 0 and each
// peer (the raw echo process, the Titan child) moved to CPU 1 — the two ends always on
// different cores, the placement the unpinned figures only get when the scheduler chooses it.
let split = arguments.contains("--split")
let pinned = arguments.contains("--pin") || split
let quick = arguments.contains("--quick")
let report = Report(json: arguments.contains("--json"))
let iterations = quick ? 2_000 : 20_000
let warmup = quick ? 500 : 2_000

if pinned { pinThisProcess(toCPU: 0) }

let staticStdlib = !(ProcFS.read("/proc/self/maps").map { String(decoding: $0, as: UTF8.self).contains("libswiftCore.so") } ?? true)
let suffix = split ? "_split" : pinned ? "_pinned" : ""

let pm = benchManager()
// `service` has no @ServiceContract: its calls go through the standard library's
// executeDistributedTarget. `contracted` is the same `add` from a generated dispatch table.
let service = try await pm.spawn(BenchService.self, options: SpawnOptions(callTimeout: nil))
let contracted = try await pm.spawn(ContractedBench.self, options: SpawnOptions(callTimeout: nil))
if split {
    for id in [service.id.process, contracted.id.process] {
        guard let pid = pm.process(id: id)?.pid else { fatalError("the child has no pid") }
        moveAllThreads(of: pid, toCPU: 1)
    }
}

// The floor (two processes bouncing 16 bytes over a socketpair) and the RPC round trip, in
// alternating blocks: unpinned, where the scheduler puts the two processes (one core or two)
// changes both figures by 5x, and alternating makes both see the same placements.
func measureAgainstFloor() async throws -> (raw: Samples, rpc: Samples, uncontracted: Samples, affine: Samples) {
    let rawPeer = try await RawPeer.start()
    if split { moveAllThreads(of: rawPeer.pid, toCPU: 1) }
    var raw = Samples(capacity: iterations)
    var rpc = Samples(capacity: iterations)
    var uncontracted = Samples(capacity: iterations)
    var affine = Samples(capacity: iterations)
    let rounds = 10
    for round in 0..<rounds {
        rawPeer.measure(warmup: round == 0 ? warmup : 100, iterations: iterations / rounds, into: &raw)
        try await measureLatency(warmup: round == 0 ? warmup : 100, iterations: iterations / rounds, into: &rpc) {
            _ = try await contracted.add(1, 2)
        }
        try await measureLatency(warmup: round == 0 ? warmup : 100, iterations: iterations / rounds, into: &uncontracted) {
            _ = try await service.add(1, 2)
        }
        // The same calls resuming on the connection's reader thread (withAffinity).
        try await ProcessActorSystem.withAffinity(to: contracted) {
            try await measureLatency(warmup: 100, iterations: iterations / rounds, into: &affine) {
                _ = try await contracted.add(1, 2)
            }
        }
    }
    try await rawPeer.stop()
    return (raw, rpc, uncontracted, affine)
}
let (raw, rpc, uncontracted, affine) = try await measureAgainstFloor()

/// Payload round trips in alternating blocks with `add`, off the main actor.
func measurePayloads(records: [SmallRecord]) async throws -> (add: Samples, bytes: Samples, records: Samples) {
    let bytes = [UInt8](repeating: 0xAB, count: 64 * 1024)
    var add = Samples(capacity: iterations / 4)
    var bytesLatency = Samples(capacity: iterations / 4)
    var recordsLatency = Samples(capacity: iterations / 4)
    for round in 0..<10 {
        let warm = round == 0 ? warmup / 4 : 50
        try await measureLatency(warmup: warm, iterations: iterations / 40, into: &add) { _ = try await service.add(1, 2) }
        try await measureLatency(warmup: warm, iterations: iterations / 40, into: &bytesLatency) { _ = try await service.consume(bytes) }
        try await measureLatency(warmup: warm, iterations: iterations / 40, into: &recordsLatency) { _ = try await service.consume(records: records) }
    }
    return (add, bytesLatency, recordsLatency)
}

report.add("raw\(suffix)_p50_us", raw.median, "us")
report.add("rpc\(suffix)_p50_us", rpc.median, "us")
report.add("rpc\(suffix)_p99_us", rpc.percentile(99), "us")
report.add("rpc_uncontracted\(suffix)_p50_us", uncontracted.median, "us")
report.add("rpc_uncontracted_vs_raw\(suffix)_p50", uncontracted.median / raw.median, "ratio")
report.add("rpc_affine\(suffix)_p50_us", affine.median, "us")
report.add("rpc_affine_vs_raw\(suffix)_p50", affine.median / raw.median, "ratio")

if !pinned {
    report.add("static_stdlib", staticStdlib ? 1 : 0, "bool")
    report.add("rpc_vs_raw_p50", rpc.median / raw.median, "ratio")

    // Throughput: 64 calls in flight from one caller to one child, against the floor of 64
    // messages in flight on a bare socketpair; the services with and without a contract and
    // with policies installed, in alternating rounds (the median of three each).
    let total = quick ? 20_000 : 200_000
    let policied = try await pm.spawn(PoliciedBench.self, options: SpawnOptions(callTimeout: nil))
    var rawRates: [Double] = [], contractedRates: [Double] = [], uncontractedRates: [Double] = [], policiedRates: [Double] = []
    var limitedRates: [Double] = []
    for _ in 0..<3 {
        rawRates.append(try await measureRawThroughput(messages: total * 5))
        contractedRates.append(try await measureThroughput(calls: total, concurrency: 64) { _ = try await contracted.add(1, 2) })
        uncontractedRates.append(try await measureThroughput(calls: total, concurrency: 64) { _ = try await service.add(1, 2) })
        policiedRates.append(try await measureThroughput(calls: total, concurrency: 64) { _ = try await policied.add(1, 2) })
        limitedRates.append(try await measureThroughput(calls: total, concurrency: 64) { _ = try await policied.limited() })
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let throughput = median(contractedRates)
    report.add("raw_throughput_64_per_s", median(rawRates), "messages/s")
    report.add("throughput_64_per_s", throughput, "calls/s")
    report.add("throughput_64_uncontracted_per_s", median(uncontractedRates), "calls/s")
    report.add("throughput_64_policies_installed_per_s", median(policiedRates), "calls/s")
    // A method whose rate limit is checked on every call (never reached here).
    report.add("throughput_64_rate_limited_per_s", median(limitedRates), "calls/s")
    report.add("throughput_policies_installed_vs_contracted_64", median(policiedRates) / throughput, "ratio")
    report.add("throughput_rate_limited_vs_contracted_64", median(limitedRates) / throughput, "ratio")
    report.add("throughput_vs_raw_64", throughput / median(rawRates), "ratio")
    report.add("throughput_contracted_vs_uncontracted_64", throughput / median(uncontractedRates), "ratio")
    let affineThroughput = try await ProcessActorSystem.withAffinity(to: contracted) {
        try await measureThroughput(calls: total, concurrency: 64) { _ = try await contracted.add(1, 2) }
    }
    report.add("throughput_64_affine_per_s", affineThroughput, "calls/s")

    // The same load spread over a pool of 4 workers.
    let pool = try await pm.pool(BenchService.self, options: PoolOptions(size: .fixed(4), strategy: .leastConnections, worker: SpawnOptions(callTimeout: nil)))
    let poolThroughput = try await measureThroughput(calls: total, concurrency: 64) { _ = try await pool.proxy.add(1, 2) }
    report.add("pool4_throughput_per_s", poolThroughput, "calls/s")
    report.add("pool4_vs_single_throughput", poolThroughput / median(uncontractedRates), "ratio")
    // With real work in each call (200 µs of CPU), where a pool's extra processes can use
    // the machine's other core: one child against four.
    let workCalls = quick ? 2_000 : 10_000
    let singleWork = try await measureThroughput(calls: workCalls, concurrency: 8) { _ = try await service.spin(microseconds: 200) }
    let poolWork = try await measureThroughput(calls: workCalls, concurrency: 8) { _ = try await pool.proxy.spin(microseconds: 200) }
    report.add("work200us_single_per_s", singleWork, "calls/s")
    report.add("work200us_pool4_per_s", poolWork, "calls/s")
    report.add("work200us_pool4_vs_single", poolWork / singleWork, "ratio")
    await pool.shutdown()

    // Payloads, alternating with `add` (off the main actor, like the round trip above) so
    // the ratio compares calls made under the same conditions.
    let records = (0..<100).map { SmallRecord(id: $0, score: Double($0) / 3, name: "record-\($0)") }
    let payloads = try await measurePayloads(records: records)
    report.add("bytes64k_p50_us", payloads.bytes.median, "us")
    report.add("bytes64k_vs_add_p50", payloads.bytes.median / payloads.add.median, "ratio")
    report.add("structs100_p50_us", payloads.records.median, "us")
    // The codec alone, in this process: encode and decode the same 100 records.
    let encoder = WireEncoder()
    let decoder = WireDecoder()
    let codec = try await measureLatency(warmup: warmup / 4, iterations: iterations / 4) {
        let bytes = try encoder.encode(records)
        _ = try decoder.decode([SmallRecord].self, from: bytes)
    }
    report.add("codec_structs100_roundtrip_us", codec.median, "us")

    // Streaming: Int elements from the child, consumed here.
    let streamCount = quick ? 1_000_000 : 10_000_000
    let streamStart = nowNanos()
    var received = 0
    for try await _ in try await service.numbers(streamCount) { received += 1 }
    guard received == streamCount else { fatalError("stream delivered \(received) of \(streamCount)") }
    report.add("stream_elems_per_s", Double(streamCount) / (Double(nowNanos() - streamStart) / 1e9), "elements/s")

    // Start-up: spawn to first reply, and the memory of an idle child.
    var spawns = Samples(capacity: 20)
    for _ in 0..<(quick ? 5 : 20) {
        let start = nowNanos()
        let child = try await pm.spawn(BenchService.self)
        _ = try await child.add(1, 1)
        spawns.add(nanos: nowNanos() - start)
        try await pm.stop(child.id.process)
    }
    report.add("spawn_ms", spawns.median / 1000, "ms")
    // An idle child: started, one call answered, nothing else.
    let idle = try await pm.spawn(BenchService.self)
    _ = try await idle.add(1, 1)
    if let pid = pm.process(id: idle.id.process)?.pid, let rss = ProcFS.residentBytes(of: pid) {
        report.add("child_rss_mb", Double(rss) / 1_048_576, "MB")
        if let rollup = ProcFS.memoryRollup(of: pid) {
            // Code pages are shared with this process and every sibling: what one more child
            // really costs is its proportional share, and its private pages.
            report.add("child_pss_mb", Double(rollup["Pss"] ?? 0) / 1_048_576, "MB")
            report.add("child_private_mb", Double((rollup["Private_Clean"] ?? 0) + (rollup["Private_Dirty"] ?? 0)) / 1_048_576, "MB")
        }
    }
    if let pid = pm.process(id: service.id.process)?.pid, let rss = ProcFS.residentBytes(of: pid) {
        report.add("busy_child_rss_mb", Double(rss) / 1_048_576, "MB")
    }
}
await pm.shutdown()

if !pinned {
    // Scale: one manager, many idle children.
    try await measureScale(children: quick ? 50 : 500, report: report)
}

if !pinned {
    // Metrics and tracing on against everything off (after the figures above, which keep the
    // process's MetricsSystem un-bootstrapped).
    try await observabilityFigures(report: report, quick: quick)
}

if !pinned {
    // The pinned and split figures come from copies of this program pinned from their first
    // instruction.
    var modes = [(name: "pinned", flag: "--pin")]
    if sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2 { modes.append((name: "split", flag: "--split")) }
    for (name, flag) in modes {
        for metric in try await runCopy(flag: flag, quick: quick) {
            report.add(metric.name, metric.value, metric.unit)
        }
        if let rpc = report.value("rpc_\(name)_p50_us"), let raw = report.value("raw_\(name)_p50_us") {
            report.add("rpc_vs_raw_\(name)_p50", rpc / raw, "ratio")
        }
    }
}
if report.json { report.printJSON() }
