/// The propagation tree of a product or of the whole program over a window (rules §17): the
/// promoters who took part, each under the promoter who invited it (when that one took part too),
/// with the buyers each reached. Its generations are depths from the roots; a node's reach is
/// the buyers of its whole subtree; the hot nodes are those of the greatest reach.
///
/// Ten thousand promoters are read on every report, so the tree is held as arrays over the nodes'
/// positions (oldest first): parents, children, depths and reaches are found by position, and an
/// id is hashed once, when the tree is built.
public struct SpreadTree: Sendable {
    public struct Node: Sendable, Equatable {
        public let id: String
        public let name: String
        public let parentID: String?
        public let joinedAt: Instant
        /// Distinct buyers of its own attributed paid orders in the window.
        public let buyers: Int64

        public init(id: String, name: String, parentID: String?, joinedAt: Instant, buyers: Int64) {
            self.id = id
            self.name = name
            self.parentID = parentID
            self.joinedAt = joinedAt
            self.buyers = buyers
        }
    }

    /// The nodes reached from the roots, oldest first (then by id).
    public let nodes: [Node]
    public let roots: [String]
    private let position: [String: Int]
    /// Each node's parent's position, or -1 for a root.
    private let parent: [Int]
    /// Each node's children, oldest first: `children[childStart[i] ..< childStart[i + 1]]`.
    private let childStart: [Int]
    private let children: [Int]
    private let depths: [Int]
    private let reaches: [Int64]

    /// Builds the tree; a node whose parent is not among `nodes` is a root. Parent links never
    /// form cycles (the promoters' upline cannot); nodes that did would be left out. An id given
    /// twice is taken once.
    public init(nodes given: [Node]) {
        var sorted = given.sorted { ($0.joinedAt, $0.id) < ($1.joinedAt, $1.id) }
        var shape = Self.shape(of: &sorted)
        if shape.order.count < sorted.count {
            // Only a cycle leaves nodes unreached: without them, the rest keeps its shape.
            let reached = Set(shape.order)
            sorted = sorted.indices.filter { reached.contains($0) }.map { sorted[$0] }
            shape = Self.shape(of: &sorted)
        }
        nodes = sorted
        position = shape.position
        parent = shape.parent
        childStart = shape.childStart
        children = shape.children
        depths = shape.depths
        roots = shape.roots.map { sorted[$0].id }
        var reaches = sorted.map(\.buyers)
        for node in shape.order.reversed() where shape.parent[node] >= 0 {
            reaches[shape.parent[node]] &+= reaches[node]
        }
        self.reaches = reaches
    }

    private struct Shape {
        var position: [String: Int] = [:]
        var parent: [Int] = []
        var childStart: [Int] = []
        var children: [Int] = []
        var depths: [Int] = []
        var roots: [Int] = []
        /// Positions in breadth-first order from the roots.
        var order: [Int] = []
    }

    /// Positions, parents, children and depths of `sorted` (duplicate ids removed from it).
    private static func shape(of sorted: inout [Node]) -> Shape {
        var shape = Shape()
        shape.position.reserveCapacity(sorted.count)
        var unique: [Node] = []
        unique.reserveCapacity(sorted.count)
        for node in sorted where shape.position[node.id] == nil {
            shape.position[node.id] = unique.count
            unique.append(node)
        }
        sorted = unique
        let count = sorted.count
        shape.parent = sorted.indices.map { index in
            guard let id = sorted[index].parentID, let at = shape.position[id], at != index else { return -1 }
            return at
        }
        var sizes = [Int](repeating: 0, count: count + 1)
        for at in shape.parent where at >= 0 { sizes[at + 1] += 1 }
        for index in 0..<count { sizes[index + 1] += sizes[index] }
        shape.childStart = sizes
        var next = sizes
        shape.children = [Int](repeating: 0, count: sizes[count])
        for index in 0..<count where shape.parent[index] >= 0 {
            let at = shape.parent[index]
            shape.children[next[at]] = index
            next[at] += 1
        }
        shape.roots = (0..<count).filter { shape.parent[$0] < 0 }
        shape.depths = [Int](repeating: -1, count: count)
        shape.order = shape.roots
        shape.order.reserveCapacity(count)
        for root in shape.roots { shape.depths[root] = 0 }
        var head = 0
        while head < shape.order.count {
            let node = shape.order[head]
            head += 1
            for child in shape.children[shape.childStart[node]..<shape.childStart[node + 1]] where shape.depths[child] < 0 {
                shape.depths[child] = shape.depths[node] + 1
                shape.order.append(child)
            }
        }
        return shape
    }

    /// The children of a node, oldest first.
    public func children(of id: String) -> [String] {
        guard let at = position[id] else { return [] }
        return children[childStart[at]..<childStart[at + 1]].map { nodes[$0].id }
    }

    /// A node's generation (0 for a root), or nil for an id not in the tree.
    public func depth(of id: String) -> Int? { position[id].map { depths[$0] } }

    /// The buyers of a node's whole subtree.
    public func reach(of id: String) -> Int64 { position[id].map { reaches[$0] } ?? 0 }

    /// How many nodes each generation holds, from the roots down.
    public var generations: [Int] {
        var counts: [Int] = []
        for level in depths {
            while counts.count <= level { counts.append(0) }
            counts[level] += 1
        }
        return counts
    }

    /// The nodes of greatest reach (then most buyers of their own, then oldest). A short list is
    /// kept while the nodes are walked once, rather than all of them sorted.
    public func hot(limit: Int) -> [Node] {
        let limit = min(max(0, limit), nodes.count)
        guard limit > 0 else { return [] }
        // Positions are oldest first, so the earlier position wins a tie.
        func before(_ a: Int, _ b: Int) -> Bool { (reaches[a], nodes[a].buyers, b) > (reaches[b], nodes[b].buyers, a) }
        if limit * 4 >= nodes.count { return nodes.indices.sorted(by: before).prefix(limit).map { nodes[$0] } }
        var best: [Int] = []
        best.reserveCapacity(limit + 1)
        for index in nodes.indices {
            if best.count == limit, let last = best.last, !before(index, last) { continue }
            let at = best.firstIndex { before(index, $0) } ?? best.count
            best.insert(index, at: at)
            if best.count > limit { best.removeLast() }
        }
        return best.map { nodes[$0] }
    }

    /// The offspring of every node whose reproduction window `[start, start + window)` lies
    /// inside the observation (ends by `until`): the children that joined in it. `start` is when
    /// the node joined, or `from` for one that was there before. Nodes that joined at `until` or
    /// later are not observed. The counts a branching-process estimate needs (`SpreadForecast`).
    public func offspring(from: Instant, until: Instant, windowSeconds: Int64) -> (counts: [Int], frontier: Int) {
        var counts: [Int] = []
        var frontier = 0
        for (index, node) in nodes.enumerated() where node.joinedAt < until {
            let start = max(node.joinedAt, from), end = start.adding(seconds: windowSeconds)
            guard end <= until else {
                frontier += 1
                continue
            }
            var born = 0
            for child in children[childStart[index]..<childStart[index + 1]] where nodes[child].joinedAt >= start && nodes[child].joinedAt < end {
                born += 1
            }
            counts.append(born)
        }
        return (counts, frontier)
    }

    /// Nodes that joined at `since` or later under an inviter in the tree.
    public func recruits(since: Instant) -> Int {
        nodes.indices.filter { nodes[$0].joinedAt >= since && parent[$0] >= 0 }.count
    }
}
