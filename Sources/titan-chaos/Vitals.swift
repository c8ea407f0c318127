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
            threads: threadCount(),
            children: children.count,
            zombies: children.filter { !ProcFS.isAlive($0) }.count,
            residentMB: Double(ProcFS.residentBytes(of: getpid()) ?? 0) / 1_048_576,
            descriptorTargets: descriptorTargets(),
            threadNames: threadNames()
        )
    }

    private static func descriptorTargets() -> [String] {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        defer { closedir(dir) }
        var targets: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard name != ".", name != ".." else { continue }
            var buffer = [CChar](repeating: 0, count: 512)
            let n = readlink("/proc/self/fd/\(name)", &buffer, buffer.count - 1)
            targets.append("\(name) → " + (n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"))
        }
        return targets.sorted()
    }

    private static func threadNames() -> [String] {
        guard let dir = opendir("/proc/self/task") else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let tid = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard tid != ".", tid != ".." else { continue }
            let name = ProcFS.read("/proc/self/task/\(tid)/comm").map { String(decoding: $0, as: UTF8.self) } ?? "?"
            names.append(name.trimmingCharacters(in: "\n"))
        }
        return names.sorted()
    }

    private static func threadCount() -> Int {
        guard let dir = opendir("/proc/self/task") else { return -1 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            if entry.pointee.d_name.0 != 46 { count += 1 } // not "." or ".."
        }
        return count
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

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(self.filter { !set.contains($0) })
    }
}
