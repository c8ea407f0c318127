/// A service's report on its own health.
///
/// A service returns one from its `health()` method (see `ProcessService`); the manager's
/// `health(of:)` asks for it, and a pool with health checks takes a worker that reports
/// ``State-swift.enum/unhealthy`` (or does not answer in time) out of rotation.
public struct HealthStatus: Codable, Sendable, Hashable, CustomStringConvertible {
    /// How well the service is.
    public enum State: String, Codable, Sendable, Hashable {
        /// Working normally.
        case healthy
        /// Working, but with reduced capacity or quality.
        case degraded
        /// Not able to do its work; a pool with health checks takes it out of rotation and
        /// replaces it if it stays so.
        case unhealthy
    }

    /// How well the service is.
    public var state: State
    /// Why, in words, for a person reading the status.
    public var message: String?
    /// Further readings the service wants to report (queue length, last error, ...).
    public var details: [String: String]

    /// A status of `state`, with an optional explanation and details.
    public init(_ state: State, message: String? = nil, details: [String: String] = [:]) {
        self.state = state
        self.message = message
        self.details = details
    }

    /// Healthy, with nothing more to say: what a service that does not implement `health()`
    /// reports.
    public static let healthy = HealthStatus(.healthy)

    /// The state, and the message if there is one (`degraded: cache cold`).
    public var description: String {
        message.map { "\(state.rawValue): \($0)" } ?? state.rawValue
    }
}
