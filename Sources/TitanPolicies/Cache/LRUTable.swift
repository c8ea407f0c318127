/// A dictionary that remembers the order in which its keys were last used, so the least
/// recently used entry can be found and dropped in O(1). The one LRU behind the result
/// cache, the per-key rate limiter and the idempotency store.
///
/// Nodes live in an array and link by index (no class per entry); freed slots are reused.
struct LRUTable<Key: Hashable, Value> {
    fileprivate struct Node {
        var key: Key
        var value: Value
        var newer: Int?
        var older: Int?
    }

    private var nodes: [Node?] = []
    private var free: [Int] = []
    private var slots: [Key: Int] = [:]
    private var newest: Int?
    private var oldest: Int?

    /// The number of entries.
    var count: Int { slots.count }

    /// The value for `key`, without marking it used.
    func peek(_ key: Key) -> Value? {
        slots[key].flatMap { nodes[$0]?.value }
    }

    /// The value for `key`, marking it the most recently used.
    mutating func use(_ key: Key) -> Value? {
        guard let slot = slots[key] else { return nil }
        moveToNewest(slot)
        return nodes[slot]?.value
    }

    /// Changes the value of an existing `key` in place, marking it used; false if absent.
    @discardableResult
    mutating func update(_ key: Key, _ body: (inout Value) -> Void) -> Bool {
        guard let slot = slots[key] else { return false }
        body(&nodes[slot]!.value)
        moveToNewest(slot)
        return true
    }

    /// Stores `value` for `key` as the most recently used, replacing any old value.
    mutating func set(_ key: Key, _ value: Value) {
        if let slot = slots[key] {
            nodes[slot]!.value = value
            moveToNewest(slot)
            return
        }
        let node = Node(key: key, value: value, newer: nil, older: newest)
        let slot: Int
        if let reused = free.popLast() {
            nodes[reused] = node
            slot = reused
        } else {
            nodes.append(node)
            slot = nodes.count - 1
        }
        if let newest { nodes[newest]!.newer = slot }
        newest = slot
        if oldest == nil { oldest = slot }
        slots[key] = slot
    }

    /// Removes `key`; returns its value if it was there.
    @discardableResult
    mutating func remove(_ key: Key) -> Value? {
        guard let slot = slots.removeValue(forKey: key) else { return nil }
        unlink(slot)
        let value = nodes[slot]!.value
        nodes[slot] = nil
        free.append(slot)
        return value
    }

    /// The least recently used entry.
    var leastRecent: (key: Key, value: Value)? {
        oldest.flatMap { nodes[$0] }.map { ($0.key, $0.value) }
    }

    /// Removes and returns the least recently used entry.
    mutating func removeLeastRecent() -> (key: Key, value: Value)? {
        guard let entry = leastRecent else { return nil }
        remove(entry.key)
        return entry
    }

    /// The keys, least recently used first.
    var keys: [Key] {
        var result: [Key] = []
        result.reserveCapacity(count)
        var cursor = oldest
        while let slot = cursor, let node = nodes[slot] {
            result.append(node.key)
            cursor = node.newer
        }
        return result
    }

    /// Removes everything.
    mutating func removeAll() {
        self = LRUTable()
    }

    private mutating func moveToNewest(_ slot: Int) {
        guard newest != slot else { return }
        unlink(slot)
        nodes[slot]!.older = newest
        nodes[slot]!.newer = nil
        if let newest { nodes[newest]!.newer = slot }
        newest = slot
        if oldest == nil { oldest = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let node = nodes[slot]!
        if let newer = node.newer { nodes[newer]!.older = node.older } else { newest = node.older }
        if let older = node.older { nodes[older]!.newer = node.newer } else { oldest = node.newer }
        nodes[slot]!.newer = nil
        nodes[slot]!.older = nil
    }
}

extension LRUTable: Sendable where Key: Sendable, Value: Sendable {}
extension LRUTable.Node: Sendable where Key: Sendable, Value: Sendable {}
