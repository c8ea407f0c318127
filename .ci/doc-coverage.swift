// Fails when a public declaration of the listed modules has no `///` doc comment.
//
//   swift .ci/doc-coverage.swift SYMBOL-GRAPH-ROOT MODULE...
//
// Reads the symbol graphs that `swift package generate-documentation` extracted (one folder
// per module under SYMBOL-GRAPH-ROOT, extension graphs such as `TitanPMTestKit@TitanPM`
// included). A symbol counts when it is public or open and declared in `Sources/MODULE/`;
// members the compiler synthesizes have no source location and do not count. A member that
// implements another module's protocol requirement (`description`, `init(from:)`, `==`, the
// `DistributedActorSystem` requirements) carries that protocol's comment in the graph, and
// DocC shows it (`--enable-inherited-docs`), so it passes without a comment of its own.
import Foundation

struct SymbolGraph: Decodable {
    struct Symbol: Decodable {
        struct Kind: Decodable { var displayName: String }
        struct Location: Decodable {
            struct Position: Decodable { var line: Int }
            var uri: String
            var position: Position
        }
        struct DocComment: Decodable {
            struct Line: Decodable { var text: String }
            var lines: [Line]
        }
        var kind: Kind
        var pathComponents: [String]
        var accessLevel: String
        var location: Location?
        var docComment: DocComment?
    }
    var symbols: [Symbol]
}

let arguments = CommandLine.arguments.dropFirst()
guard let root = arguments.first, arguments.count > 1 else {
    FileHandle.standardError.write("usage: swift .ci/doc-coverage.swift SYMBOL-GRAPH-ROOT MODULE...\n".data(using: .utf8)!)
    exit(2)
}

var missing: [String] = []
var checked = 0
for module in arguments.dropFirst() {
    let folder = URL(fileURLWithPath: root).appendingPathComponent(module)
    let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.filter { $0.hasSuffix(".symbols.json") } ?? []
    guard !files.isEmpty else {
        print("doc-coverage: no symbol graphs for \(module) in \(folder.path)")
        exit(1)
    }
    var seen = Set<String>()
    for file in files.sorted() {
        let data = try Data(contentsOf: folder.appendingPathComponent(file))
        let graph = try JSONDecoder().decode(SymbolGraph.self, from: data)
        for symbol in graph.symbols where symbol.accessLevel == "public" || symbol.accessLevel == "open" {
            guard let location = symbol.location, location.uri.contains("/Sources/\(module)/") else { continue }
            let source = location.uri.components(separatedBy: "/Sources/").last! + ":\(location.position.line + 1)"
            guard seen.insert(source + symbol.pathComponents.joined(separator: ".")).inserted else { continue }
            checked += 1
            let text = symbol.docComment?.lines.map(\.text).joined().trimmingCharacters(in: .whitespaces) ?? ""
            if text.isEmpty {
                missing.append("Sources/\(source): \(symbol.kind.displayName.lowercased()) \(symbol.pathComponents.joined(separator: "."))")
            }
        }
    }
}

if missing.isEmpty {
    print("doc-coverage: all \(checked) public declarations of \(arguments.dropFirst().joined(separator: ", ")) have doc comments")
} else {
    print("doc-coverage: \(missing.count) of \(checked) public declarations have no /// doc comment:")
    for line in missing.sorted() { print("  \(line)") }
    exit(1)
}
