/// A binary min-heap of (deadline, token) pairs: the pending actions of a clock, earliest first.
struct TimerHeap {
    private var entries: [(deadline: UInt64, token: UInt64)] = []

    var count: Int { entries.count }

    var first: (deadline: UInt64, token: UInt64)? { entries.first }

    mutating func push(deadline: UInt64, token: UInt64) {
        entries.append((deadline, token))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() {
        let last = entries.removeLast()
        guard !entries.isEmpty else { return }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count && entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count && entries[right].deadline < entries[smallest].deadline { smallest = right }
            if smallest == parent { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }

    /// Keeps only the entries whose token satisfies `keep`.
    mutating func retain(_ keep: (UInt64) -> Bool) {
        entries = entries.filter { keep($0.token) }
        entries.sort { $0.deadline < $1.deadline }
    }
}
