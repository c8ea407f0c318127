import FoundationEssentials
import Glibc

/// How numbers read in tables.
enum Format {
    /// `45s`, `12m03s`, `3h07m`, `2d04h`.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "-" }
        let total = Int(seconds)
        switch total {
        case ..<60: return "\(total)s"
        case ..<3600: return "\(total / 60)m\(pad(total % 60))s"
        case ..<86400: return "\(total / 3600)h\(pad(total / 60 % 60))m"
        default: return "\(total / 86400)d\(pad(total / 3600 % 24))h"
        }
    }

    /// `512 B`, `14.2 MiB`.
    static func bytes(_ value: Int?) -> String {
        guard let value else { return "-" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024 && unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : "\(decimal(amount, places: 1)) \(units[unit])"
    }

    static func percent(_ value: Double?) -> String {
        value.map { "\(decimal($0, places: 1))%" } ?? "-"
    }

    static func rate(_ value: Double?) -> String {
        value.map { decimal($0, places: 1) } ?? "-"
    }

    static func milliseconds(_ seconds: Double?) -> String {
        seconds.map { "\(decimal($0 * 1000, places: 2)) ms" } ?? "-"
    }

    static func optional<T>(_ value: T?) -> String {
        value.map { "\($0)" } ?? "-"
    }

    /// `HH:MM:SS` of a time in seconds since 1970, in local time.
    static func clock(_ time: Double) -> String {
        var seconds = time_t(time)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return "\(pad(Int(parts.tm_hour))):\(pad(Int(parts.tm_min))):\(pad(Int(parts.tm_sec)))"
    }

    static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = "\(rounded)"
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < places { text += String(repeating: "0", count: places - decimals) }
        }
        return text
    }

    private static func pad(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// Parses `30s`, `500ms`, `2m`, `1h` or a plain number of seconds.
    static func parseDuration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count)), number >= 0 { return number * factor }
        }
        return Double(text).flatMap { $0 >= 0 ? $0 : nil }
    }
}
