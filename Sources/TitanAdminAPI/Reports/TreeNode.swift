/// A node of the supervision tree, from ``AdminOperation/tree``: the manager at the root,
/// then its supervisors, pools and processes.
public struct TreeNode: Codable, Sendable, Hashable {
    /// What a node is. New kinds may be added in any release.
    public enum Kind: String, Codable, Sendable, Hashable {
        /// The manager, at the root.
        case manager
        /// A supervisor; its children are what it supervises.
        case supervisor
        /// A pool; its children are its workers.
        case pool
        /// A process.
        case process
    }

    /// What the node is.
    public var kind: Kind
    /// The supervisor's child id, the pool's id or the process id.
    public var name: String
    /// The process id, for processes and pools (and supervisors, which have one too).
    public var id: String?
    /// The status (`running`, `stopped`, ...).
    public var status: String?
    /// The OS process id.
    public var pid: Int32?
    /// How many times the process has been restarted.
    public var restarts: Int?
    /// For a supervisor: its strategy (`oneForOne`, ...).
    public var detail: String?
    /// The nodes below, in order.
    public var children: [TreeNode]

    /// Creates a value with the given fields.
    public init(kind: Kind, name: String, id: String? = nil, status: String? = nil, pid: Int32? = nil, restarts: Int? = nil, detail: String? = nil, children: [TreeNode] = []) {
        self.kind = kind
        self.name = name
        self.id = id
        self.status = status
        self.pid = pid
        self.restarts = restarts
        self.detail = detail
        self.children = children
    }
}
