import Glibc

/// Where a manager's admin endpoint is found, by the manager and by `titan` alike.
public enum AdminEndpoint {
    /// The environment variable that names the socket (`TITAN_SOCKET`).
    public static let socketVariable = "TITAN_SOCKET"
    /// The environment variable that holds a TCP endpoint's token (`TITAN_TOKEN`).
    public static let tokenVariable = "TITAN_TOKEN"

    /// `$XDG_RUNTIME_DIR/titan/admin.sock` when that variable is set (a directory only its
    /// user can enter), else `/tmp/titan-<uid>/admin.sock`.
    public static var defaultSocketPath: String {
        if let runtime = environment("XDG_RUNTIME_DIR"), !runtime.isEmpty {
            return "\(runtime)/titan/admin.sock"
        }
        return "/tmp/titan-\(geteuid())/admin.sock"
    }

    /// `explicit` if given, else `$TITAN_SOCKET`, else ``defaultSocketPath``.
    public static func socketPath(explicit: String? = nil) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment(socketVariable), !fromEnvironment.isEmpty { return fromEnvironment }
        return defaultSocketPath
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
