import FoundationEssentials
import Glibc
import TitanAdminAPI

/// Writing to the terminal: colour only when standard output is one (or when asked), JSON
/// when asked, errors as one line on standard error.
struct Terminal {
    let colors: Bool
    let isTTY: Bool

    init(color: ColorChoice) {
        isTTY = isatty(STDOUT_FILENO) == 1
        switch color {
        case .always: colors = true
        case .never: colors = false
        case .auto: colors = isTTY && getenv("NO_COLOR") == nil
        }
    }

    func paint(_ text: String, _ code: String) -> String {
        colors ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func bold(_ text: String) -> String { paint(text, "1") }
    func dim(_ text: String) -> String { paint(text, "2") }

    /// A process status in the colour people expect: running green, trouble red, change yellow.
    func status(_ status: String) -> String {
        switch status {
        case "running": paint(status, "32")
        case "crashed", "failed": paint(status, "31")
        case "starting", "restarting", "stopping", "draining": paint(status, "33")
        default: dim(status)
        }
    }

    /// Prints `value` as indented JSON with sorted keys.
    static func printJSON<Value: Encodable>(_ value: Value, pretty: Bool = true) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) {
            print(String(decoding: data, as: UTF8.self))
        }
    }

    static func printError(_ message: String) {
        let line = Array("titan: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Flushes standard output, for lines that follow a stream.
    static func flush() {
        fflush(nil)
    }
}
