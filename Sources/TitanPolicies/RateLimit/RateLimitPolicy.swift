/// How many calls a method accepts per window: the configuration of `@RateLimit` and of
/// ``RateLimiter``.
///
/// ```swift
/// @RateLimit(100, per: .seconds(1))                                   // 100 calls a second
/// @RateLimit(10, per: .seconds(1), strategy: .tokenBucket(burst: 20), key: "userID")
/// ```
///
/// The count lives where the policy is enforced: for `@RateLimit`, in the process that hosts
/// the service, so each process (each pool worker) counts its own calls.
public struct RateLimitPolicy: Codable, Sendable, Hashable {
    /// How calls are counted against the limit.
    public struct Strategy: Codable, Sendable, Hashable, CustomStringConvertible {
        /// The strategies ``RateLimiter`` implements.
        public enum Kind: String, Codable, Sendable, Hashable {
            /// Counts per aligned window (``RateLimitPolicy/Strategy/fixedWindow``).
            case fixedWindow
            /// Counts over the last window before each call (``RateLimitPolicy/Strategy/slidingWindow``).
            case slidingWindow
            /// Takes a token per call from a refilling bucket (``RateLimitPolicy/Strategy/tokenBucket``).
            case tokenBucket
        }

        /// Which strategy.
        public var kind: Kind
        /// For a token bucket, how many calls may come at once after a quiet period; nil
        /// means the limit itself.
        public var burst: Int?

        /// Counts calls per aligned window (`[0, window)`, `[window, 2·window)`, ...): cheap,
        /// but up to twice the limit can pass around a window boundary.
        public static let fixedWindow = Strategy(kind: .fixedWindow, burst: nil)
        /// Counts calls in the last `window` before each call: exact, and remembers one instant
        /// per accepted call (up to the limit, per key).
        public static let slidingWindow = Strategy(kind: .slidingWindow, burst: nil)
        /// Refills `limit` tokens per `window`, one at a time; a call takes one. Bursts up to
        /// the limit.
        public static let tokenBucket = Strategy(kind: .tokenBucket, burst: nil)
        /// A token bucket that holds up to `burst` tokens.
        public static func tokenBucket(burst: Int) -> Strategy { Strategy(kind: .tokenBucket, burst: burst) }

        /// A readable form, for logs and messages.
        public var description: String {
            burst.map { "\(kind.rawValue)(burst: \($0))" } ?? kind.rawValue
        }
    }

    /// Calls accepted per window.
    public var limit: Int
    /// The window.
    public var window: Duration
    /// How calls are counted.
    public var strategy: Strategy
    /// The argument whose value gives each caller its own limit (or a key template such as
    /// `"user:{userID}"`); nil for one limit shared by all calls.
    public var key: String?
    /// With a `key`, how many keys are tracked at most; the least recently seen key is
    /// forgotten first (and starts afresh if it comes back).
    public var maxKeys: Int

    /// Allows `limit` calls per `window`.
    public init(_ limit: Int, per window: Duration, strategy: Strategy = .slidingWindow, key: String? = nil, maxKeys: Int = 10_000) {
        self.limit = max(limit, 0)
        self.window = window
        self.strategy = strategy
        self.key = key
        self.maxKeys = max(maxKeys, 1)
    }
}
