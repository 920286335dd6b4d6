/// The propagation tree of a product or of the whole program over a window (rules §17): the
/// promoters who took part, each under the promoter who invited it (when that one took part too),
/// with the buyers each reached. Its generations are depths from the roots; a node's reach is
/// the buyers of its whole subtree; the hot nodes are those of the greatest reach.
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

    public let nodes: [Node]
    /// Each node's children, by id, oldest first.
    public let children: [String: [String]]
    public let roots: [String]
    public let depth: [String: Int]
    public let reach: [String: Int64]

    /// Builds the tree; a node whose parent is not among `nodes` is a root. Parent links never
    /// form cycles (the promoters' upline cannot), and a node is visited once even if they did.
    public init(nodes: [Node]) {
        let sorted = nodes.sorted { ($0.joinedAt, $0.id) < ($1.joinedAt, $1.id) }
        let ids = Set(sorted.map(\.id))
        var children: [String: [String]] = [:]
        var roots: [String] = []
        for node in sorted {
            if let parent = node.parentID, ids.contains(parent), parent != node.id { children[parent, default: []].append(node.id) } else { roots.append(node.id) }
        }
        var depth: [String: Int] = [:]
        var order: [String] = []
        var queue = roots.map { ($0, 0) }
        var index = 0
        while index < queue.count {
            let (id, level) = queue[index]
            index += 1
            guard depth[id] == nil else { continue }
            depth[id] = level
            order.append(id)
            queue += (children[id] ?? []).map { ($0, level + 1) }
        }
        let buyers = Dictionary(sorted.map { ($0.id, $0.buyers) }, uniquingKeysWith: { first, _ in first })
        var reach: [String: Int64] = [:]
        for id in order.reversed() {
            reach[id] = (children[id] ?? []).reduce(buyers[id] ?? 0) { $0 &+ (reach[$1] ?? 0) }
        }
        self.nodes = sorted.filter { depth[$0.id] != nil }
        self.children = children
        self.roots = roots
        self.depth = depth
        self.reach = reach
    }

    /// How many nodes each generation holds, from the roots down.
    public var generations: [Int] {
        var counts: [Int] = []
        for level in depth.values {
            while counts.count <= level { counts.append(0) }
            counts[level] += 1
        }
        return counts
    }

    /// The nodes of greatest reach (then most buyers of their own, then oldest).
    public func hot(limit: Int) -> [Node] {
        // Each node's reach looked up once, not twice per comparison: ten thousand nodes.
        let keyed = nodes.map { (reach: reach[$0.id] ?? 0, node: $0) }
        return keyed.sorted { ($0.reach, $0.node.buyers, $1.node.joinedAt, $1.node.id) > ($1.reach, $1.node.buyers, $0.node.joinedAt, $0.node.id) }
            .prefix(max(0, limit)).map(\.node)
    }

    /// The offspring of every node whose reproduction window `[start, start + window)` lies
    /// inside the observation (ends by `until`): the children that joined in it. `start` is when
    /// the node joined, or `from` for one that was there before. The counts a branching-process
    /// estimate needs (`SpreadForecast`).
    public func offspring(from: Instant, until: Instant, windowSeconds: Int64) -> (counts: [Int], frontier: Int) {
        let joined = Dictionary(nodes.map { ($0.id, $0.joinedAt) }, uniquingKeysWith: { first, _ in first })
        var counts: [Int] = []
        var frontier = 0
        for node in nodes {
            let start = max(node.joinedAt, from), end = start.adding(seconds: windowSeconds)
            guard end <= until else {
                if node.joinedAt < until { frontier += 1 }
                continue
            }
            counts.append((children[node.id] ?? []).filter { child in joined[child].map { $0 >= start && $0 < end } ?? false }.count)
        }
        return (counts, frontier)
    }
}
