import Glibc
import TitanActorSystem
import TitanCore
import TitanTransport
import TitanWire

/// Readings from /proc.
package enum ProcFS {
    /// Reads a whole /proc file (they report a size of 0, so read until EOF).
    package static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            result += chunk[0..<n]
        }
        return result
    }

    /// The fields of /proc/PID/stat after the command name (which may hold spaces and
    /// parentheses, so the split starts after the last ')'): index 0 is the state.
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard let bytes = read("/proc/\(pid)/stat"), let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = String(decoding: bytes[(close + 1)...], as: UTF8.self)
        return rest.split(separator: " ", omittingEmptySubsequences: true)
    }

    /// Resident set size of `pid` in bytes.
    package static func residentBytes(of pid: Int32) -> Int? {
        guard let bytes = read("/proc/\(pid)/statm") else { return nil }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Fields of `/proc/<pid>/smaps_rollup` in bytes (`Rss`, `Pss`, `Private_Dirty`, ...):
    /// unlike RSS, `Pss` and the private figures do not count code pages shared with the
    /// parent and sibling children in full.
    package static func memoryRollup(of pid: Int32) -> [String: Int]? {
        guard let bytes = read("/proc/\(pid)/smaps_rollup") else { return nil }
        var result: [String: Int] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, parts[0].hasSuffix(":"), let kilobytes = Int(parts[1]) else { continue }
            result[String(parts[0].dropLast())] = kilobytes * 1024
        }
        return result
    }

    /// User plus system CPU time consumed by `pid`.
    package static func cpuTime(of pid: Int32) -> Duration? {
        guard let fields = statFields(pid), fields.count > 12,
              let user = Int64(fields[11]), let system = Int64(fields[12]) else { return nil }
        let ticks = Int64(sysconf(Int32(_SC_CLK_TCK)))
        return .milliseconds((user + system) * 1000 / max(ticks, 1))
    }

    /// Whether `pid` exists and is not a zombie.
    package static func isAlive(_ pid: Int32) -> Bool {
        guard let state = statFields(pid)?.first else { return false }
        return state != "Z" && state != "X"
    }

    /// The parent of `pid`.
    package static func parent(of pid: Int32) -> Int32? {
        guard let fields = statFields(pid), fields.count > 1 else { return nil }
        return Int32(fields[1])
    }

    /// Every process (zombies included) whose parent is `pid`.
    package static func childPIDs(of pid: Int32) -> [Int32] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var children: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let candidate = Int32(name), parent(of: candidate) == pid else { continue }
            children.append(candidate)
        }
        return children.sorted()
    }

    /// How many descriptors process `pid` has open; nil if its /proc entry cannot be read.
    package static func openDescriptorCount(of pid: Int32) -> Int? {
        guard let dir = opendir("/proc/\(pid)/fd") else { return nil }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { count += 1 }
        }
        return count
    }

    /// How many threads `pid` has (the `Threads:` line of /proc/PID/status).
    package static func threadCount(of pid: Int32) -> Int? {
        guard let bytes = read("/proc/\(pid)/status") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst("Threads:".count).trimmingPrefix(while: { $0 == " " || $0 == "\t" }))
        }
        return nil
    }

    /// How many descriptors this process has open.
    package static func openDescriptorCount() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { count += 1 }
        }
        return count - 1 // the directory stream's own descriptor
    }
}
