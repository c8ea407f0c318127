import FoundationEssentials
import Glibc
import Testing

/// The runtime's modules, bottom first, and what each may import from this package.
/// A module importing one above it (or beside it without being listed) fails this test.
private let layers: [(module: String, mayImport: Set<String>)] = [
    ("CTitan", []),
    ("TitanCore", ["CTitan"]),
    ("TitanPolicies", ["TitanCore"]),
    ("TitanWire", ["TitanCore"]),
    ("TitanTelemetry", ["TitanCore", "TitanWire"]),
    ("TitanTransport", ["CTitan", "TitanCore", "TitanWire"]),
    ("TitanActorSystem", ["TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanTelemetry"]),
    ("TitanProcess", ["CTitan", "TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanTelemetry", "TitanActorSystem"]),
    ("TitanPM", ["TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanTelemetry", "TitanActorSystem", "TitanProcess"]),
    ("TitanPMTestKit", ["TitanPM"]),
    // Outside the runtime's build.
    ("TitanPrometheus", ["TitanCore", "TitanPM"]),
    // Operating a manager from outside: the protocol depends on nothing of the runtime's,
    // and the admin endpoint builds no web server (only the dashboard does).
    ("TitanAdminAPI", []),
    ("TitanAdmin", ["CTitanAdmin", "TitanAdminAPI", "TitanPM", "TitanPolicies", "TitanTransport"]),
]

/// Modules from outside the package that a layer may use.
private let external: Set<String> = [
    "Distributed", "Synchronization", "Glibc", "FoundationEssentials", "Logging", "ServiceLifecycle", "_Concurrency",
    // The observability API packages (no backends, no I/O), also for @Metric and @Trace ...
    "CoreMetrics", "Tracing", "Instrumentation",
    // ... and a backend, outside the runtime's build only.
    "Prometheus",
]


private func imports(of path: String) -> [String] {
    guard let file = fopen(path, "r") else { return [] }
    defer { fclose(file) }
    var result: [String] = []
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    while getline(&line, &capacity, file) > 0 {
        let text = String(cString: line!)
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        if let index = words.firstIndex(of: "import"), index + 1 < words.count,
           words[..<index].allSatisfy({ $0.hasPrefix("@") || $0 == "package" || $0 == "public" || $0 == "internal" }) {
            result.append(String(words[index + 1]))
        }
    }
    free(line)
    return result
}

extension TitanPMTests {
    @Suite struct Layering {
        @Test func prometheusStaysOutOfTheRuntime() {
            for (module, _) in layers where module != "CTitan" && module != "TitanPrometheus" {
                for file in swiftFiles(under: "\(packageRoot)/Sources/\(module)") {
                    #expect(!imports(of: file).contains("Prometheus"), "\(file) imports Prometheus")
                }
            }
        }

        @Test func noModuleImportsALayerAboveIt() {
            var checked = 0
            for (module, allowed) in layers where module != "CTitan" {
                let files = swiftFiles(under: "\(packageRoot)/Sources/\(module)")
                #expect(!files.isEmpty, "no sources found for \(module)")
                for file in files {
                    for imported in imports(of: file) where !external.contains(imported) {
                        checked += 1
                        #expect(allowed.contains(imported), "\(file) imports \(imported), which \(module) may not use")
                    }
                }
            }
            #expect(checked > 20)
        }

        @Test func theCommandAndTheDashboardStayOutsideTheRuntime() {
            // `titan` speaks the protocol only: it never links the runtime or a web server.
            let allowed: Set<String> = ["ArgumentParser", "TitanAdminAPI", "FoundationEssentials", "Glibc"]
            let files = swiftFiles(under: "\(packageRoot)/Sources/titan")
            #expect(!files.isEmpty)
            for file in files {
                for imported in imports(of: file) {
                    #expect(allowed.contains(imported), "\(file) imports \(imported)")
                }
            }
            // No runtime module imports the operators' modules or a web server.
            for (module, _) in layers where module != "CTitan" {
                for file in swiftFiles(under: "\(packageRoot)/Sources/\(module)") {
                    for imported in imports(of: file) {
                        #expect(!["Hummingbird", "NIOCore", "ArgumentParser", "TitanDashboard"].contains(imported), "\(file) imports \(imported)")
                    }
                }
            }
        }

        @Test func theVocabularyLayerDoesNoIO() {
            for file in swiftFiles(under: "\(packageRoot)/Sources/TitanCore") {
                guard let handle = fopen(file, "r") else { continue }
                defer { fclose(handle) }
                var line: UnsafeMutablePointer<CChar>?
                var capacity = 0
                while getline(&line, &capacity, handle) > 0 {
                    let text = String(cString: line!)
                    for call in ["socket(", "open(", "read(", "write(", "posix_spawn"] where text.contains(" \(call)") || text.contains("Glibc.\(call)") {
                        Issue.record("\(file) calls \(call) in the vocabulary layer: \(text)")
                    }
                }
                free(line)
            }
        }
    }
}
