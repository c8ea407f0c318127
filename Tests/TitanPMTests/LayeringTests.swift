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
    ("TitanTransport", ["CTitan", "TitanCore", "TitanWire"]),
    ("TitanActorSystem", ["TitanCore", "TitanPolicies", "TitanWire", "TitanTransport"]),
    ("TitanProcess", ["CTitan", "TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanActorSystem"]),
    ("TitanPM", ["TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanActorSystem", "TitanProcess"]),
    ("TitanPMTestKit", ["TitanPM"]),
]

/// Modules from outside the package that a layer may use.
private let external: Set<String> = [
    "Distributed", "Synchronization", "Glibc", "FoundationEssentials", "Logging", "ServiceLifecycle", "_Concurrency",
    // The observability API packages (no backends, no I/O), for @Metric and @Trace.
    "CoreMetrics", "Tracing",
]

private let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    while let last = parts.last, last != "Tests" { parts.removeLast() }
    parts.removeLast()
    return parts.joined(separator: "/")
}()

private func swiftFiles(under directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var files: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        guard name != ".", name != ".." else { continue }
        let path = "\(directory)/\(name)"
        if entry.pointee.d_type == UInt8(DT_DIR) {
            files += swiftFiles(under: path)
        } else if name.hasSuffix(".swift") {
            files.append(path)
        }
    }
    return files
}

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
