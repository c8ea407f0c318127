import Foundation
import TitanAdminAPI

/// The dashboard's page, script and style sheet, read once from the module's resources.
struct Site: Sendable {
    struct File: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    var files: [String: File]

    static func load() throws -> Site {
        let names: [(String, String)] = [
            ("index.html", "text/html; charset=utf-8"),
            ("dashboard.js", "text/javascript; charset=utf-8"),
            ("dashboard.css", "text/css; charset=utf-8"),
        ]
        var files: [String: File] = [:]
        for (name, type) in names {
            guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Site"),
                  let data = try? Data(contentsOf: url) else {
                throw AdminError(.failed, "the dashboard's \(name) is missing from its resources (\(Bundle.module.bundlePath))")
            }
            files[name] = File(bytes: [UInt8](data), contentType: type)
        }
        return Site(files: files)
    }
}
