import TitanCore
import TitanPolicies

extension FailureKind {
    /// The kind of a call's failure, as `@Retry` and the circuit breaker see it; nil for a
    /// cancelled call, which is neither retried nor held against the callee.
    ///
    /// Only failures that prove the method never ran count as ``notExecuted``: the process
    /// was not running or refused the call while draining, or a pool had no worker for it.
    package init?(classifying error: any Error) {
        switch error {
        case is CancellationError:
            return nil
        case let error as PolicyError:
            switch error.code {
            case .rateLimited: self = .rateLimited
            case .circuitOpen: self = .circuitOpen
            case .timedOut: self = .timedOut
            default: self = .methodError
            }
        case let error as ProcessError:
            switch error.code {
            case .notRunning, .shuttingDown, .unknownProcess: self = .notExecuted
            case .timedOut: self = .timedOut
            case .processExited: self = .processExited
            case .connectionLost: self = .connectionLost
            default: self = .methodError
            }
        case let error as PoolError:
            switch error.code {
            case .queueFull, .noWorkers, .closed: self = .notExecuted
            case .queueTimeout: self = .timedOut
            default: self = .methodError
            }
        default:
            self = .methodError
        }
    }

    /// Whether a failure of this kind says the callee is unwell, for its circuit breaker:
    /// refusals by policy and the method's own validation do not.
    package func countsAgainst(_ error: any Error) -> Bool {
        if let policy = error as? PolicyError, policy.code == .validationFailed || policy.code == .rateLimited { return false }
        return self != .circuitOpen && self != .rateLimited
    }
}
