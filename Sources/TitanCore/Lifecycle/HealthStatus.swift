/// A service's report on its own health.
public struct HealthStatus: Codable, Sendable, Hashable, CustomStringConvertible {
    public enum State: String, Codable, Sendable, Hashable {
        case healthy
        /// Working, but with reduced capacity or quality.
        case degraded
        /// Not able to do its work; a supervisor may replace it.
        case unhealthy
    }

    public var state: State
    public var message: String?
    public var details: [String: String]

    public init(_ state: State, message: String? = nil, details: [String: String] = [:]) {
        self.state = state
        self.message = message
        self.details = details
    }

    public static let healthy = HealthStatus(.healthy)

    public var description: String {
        message.map { "\(state.rawValue): \($0)" } ?? state.rawValue
    }
}
