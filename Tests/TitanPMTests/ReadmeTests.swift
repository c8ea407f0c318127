import Glibc
import Testing
import TitanPMTestKit
@testable import TitanPM
import TitanProcess
import TitanTransport

/// The swift blocks of a markdown text, each as its lines.
private func swiftBlocks(_ markdown: String) -> [[String]] {
    var blocks: [[String]] = []
    var current: [String]?
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
        if current == nil, line.hasPrefix("```swift") {
            current = []
        } else if current != nil, line.hasPrefix("```") {
            blocks.append(current!)
            current = nil
        } else if current != nil {
            current!.append(String(line))
        }
    }
    return blocks
}

/// Lines compared without their indentation, blank lines left out.
private func normalized(_ lines: [String]) -> [String] {
    lines.map { String($0.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()) }.filter { !$0.isEmpty }
}

/// Whether `block` occurs in `lines` as a contiguous run. A block that starts with imports is
/// a whole file: it must start where the file's code starts (after its leading comments), so
/// that an import the README leaves out is one the example does without.
private func contains(_ lines: [String], _ block: [String]) -> Bool {
    guard !block.isEmpty, lines.count >= block.count else { return block.isEmpty }
    if block[0].hasPrefix("import ") {
        let code = Array(lines.drop { $0.hasPrefix("//") })
        return code.count >= block.count && Array(code[0..<block.count]) == block
    }
    return (0...(lines.count - block.count)).contains { Array(lines[$0..<($0 + block.count)]) == block }
}


/// Runs `path` with `arguments`; what it printed on standard output, and how it ended.
private func run(_ path: String, _ arguments: [String]) async throws -> (String, Termination) {
    let (readEnd, writeEnd) = try UnixSocket.pair()
    defer { close(readEnd) }
    let pid = try await ChildLauncher.shared.launch(LaunchRequest(
        executable: path, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"],
        descriptors: [(parentFD: writeEnd, childFD: 1)]
    ))
    close(writeEnd)
    var bytes: [UInt8] = []
    while let chunk = UnixSocket.readSome(readEnd, timeout: .seconds(60)) { bytes += chunk }
    let status = try await ExitWatcher.shared.waitForExit(of: pid, timeout: .seconds(60))
    return (String(decoding: bytes, as: UTF8.self), status ?? .exited(code: -1))
}

extension TitanPMTests {
    /// A newcomer follows the README literally: every example compiles as written, and the
    /// quick start runs.
    @Suite struct Readme {
        @Test func everySwiftBlockIsCompiledInTheExamples() throws {
            let readme = try #require(readFile("\(packageRoot)/README.md"))
            let sources = swiftFiles(under: "\(packageRoot)/Examples")
                .map { ($0, normalized(readFile($0)?.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ?? [])) }
            let blocks = swiftBlocks(readme)
            #expect(blocks.count >= 12)
            for block in blocks.map(normalized) where block.first != "// Package.swift" {
                #expect(sources.contains { contains($0.1, block) }, "not compiled anywhere under Examples/:\n\(block.joined(separator: "\n"))")
            }
        }

        @Test func theManifestExampleNamesRealProducts() throws {
            let readme = try #require(readFile("\(packageRoot)/README.md"))
            let manifest = try #require(readFile("\(packageRoot)/Package.swift"))
            let block = try #require(swiftBlocks(readme).first { normalized($0).first == "// Package.swift" })
            #expect(manifest.contains("name: \"titan-pm\""))
            let products = block.joined(separator: "\n").split(separator: ".product(name: \"").dropFirst().map { $0.prefix { $0 != "\"" } }
            #expect(!products.isEmpty)
            for product in products {
                #expect(manifest.contains(".library(name: \"\(product)\""), "README names a product the package does not have: \(product)")
            }
            #expect(block.contains { $0.contains("package: \"titan-pm\"") })
        }

        @Test func theQuickStartAndSpawningByNameRun() async throws {
            let (output, status) = try await run(testHostPath.replacingLast("titan-test-host", with: "my-server"), ["greet"])
            #expect(status == .exited(code: 0))
            #expect(output == "5\nhello titan\n")
        }

        @Test func theDiscoveryAndEventsExampleRuns() async throws {
            let (output, status) = try await run(testHostPath.replacingLast("titan-test-host", with: "mesh-server"), [])
            #expect(status == .exited(code: 0))
            #expect(output == "70 40\nA-1 70\n")
        }
    }
}

extension String {
    fileprivate func replacingLast(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }

}
