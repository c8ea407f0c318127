import Glibc
import TitanPM
import TitanProcess

/// What a leak would show in this process.
struct Vitals: CustomStringConvertible {
    var descriptors: Int
    var threads: Int
    var children: Int
    var zombies: Int
    var residentMB: Double
    /// Each open descriptor and what it refers to (for naming a leak).
    var descriptorTargets: [String]
    /// The names of this process's threads (for naming a leak).
    var threadNames: [String]

    static func now() -> Vitals {
        let children = ProcFS.childPIDs(of: getpid())
        return Vitals(
            descriptors: ProcFS.openDescriptorCount(),
            threads: ProcFS.entries(of: "/proc/self/task")?.count ?? -1,
            children: children.count,
            zombies: children.filter { !ProcFS.isAlive($0) }.count,
            residentMB: Double(ProcFS.residentBytes(of: getpid()) ?? 0) / 1_048_576,
            descriptorTargets: descriptorTargets(),
            threadNames: threadNames()
        )
    }

    private static func descriptorTargets() -> [String] {
        (ProcFS.entries(of: "/proc/self/fd") ?? []).map { name in
            var buffer = [CChar](repeating: 0, count: 512)
            let n = readlink("/proc/self/fd/\(name)", &buffer, buffer.count - 1)
            return "\(name) → " + (n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?")
        }.sorted()
    }

    private static func threadNames() -> [String] {
        (ProcFS.entries(of: "/proc/self/task") ?? []).map { tid in
            let name = ProcFS.read("/proc/self/task/\(tid)/comm").map { String(decoding: $0, as: UTF8.self) } ?? "?"
            return name.filter { $0 != "\n" }
        }.sorted()
    }

    /// Threads of Titan's own (named `titan-…`); the others belong to the Swift runtime and
    /// libdispatch, whose pools grow and shrink on their own.
    var titanThreads: Int { threadNames.filter { $0.hasPrefix("titan-") }.count }

    var description: String {
        "descriptors \(descriptors), threads \(threads), children \(children), zombies \(zombies), rss \(String(format2: residentMB)) MB"
    }
}

extension String {
    init(format2 value: Double) {
        let scaled = (value * 100).rounded() / 100
        self = "\(scaled)"
    }
}

