import Foundation
import Testing
@testable import TuikeCore

@Suite struct SpreadForecastTests {
    static let day: Int64 = 86_400
    static let window = 14 * day

    /// A Poisson(λ) draw (Knuth's method: λ stays small here).
    static func poisson(_ lambda: Double, _ random: inout SplitMix) -> Int {
        let limit = exp(-lambda)
        var product = Double(random.next() >> 11) / Double(1 << 53), count = 0
        while product > limit {
            count += 1
            product *= Double(random.next() >> 11) / Double(1 << 53)
        }
        return count
    }

    /// A campaign with a known R: `roots` promoters at the start, each recruiting its offspring
    /// at uniform times within its window; overdispersed offspring when `mixed` (the rate halved
    /// or one and a half times, at random: the same mean). Nodes that join by `until` only.
    static func campaign(r: Double, roots: Int, mixed: Bool, until: Instant, seed: UInt64) -> [SpreadTree.Node] {
        var random = SplitMix(seed: seed)
        var nodes: [SpreadTree.Node] = []
        var queue: [(String, Instant)] = (0..<roots).map { ("root-\($0)", Instant(milliseconds: 0)) }
        nodes = queue.map { SpreadTree.Node(id: $0.0, name: $0.0, parentID: nil, joinedAt: $0.1, buyers: 1) }
        var index = 0
        while index < queue.count {
            let (parent, joined) = queue[index]
            index += 1
            let rate = mixed ? r * (random.next(2) == 0 ? 0.5 : 1.5) : r
            for child in 0..<Self.poisson(rate, &random) {
                let at = joined.adding(seconds: Int64(random.next(Int(Self.window))))
                guard at < until else { continue }
                let id = "\(parent).\(child)"
                nodes.append(SpreadTree.Node(id: id, name: id, parentID: parent, joinedAt: at, buyers: Int64(random.next(3))))
                queue.append((id, at))
            }
        }
        return nodes
    }

    /// The backtest: generated campaigns with a known R, observed for six weeks with two-week
    /// windows. The true R is inside the 95 % interval in at least 90 % of runs, for Poisson
    /// and for overdispersed recruiting alike.
    @Test func theTrueRIsInsideTheIntervalNineTimesInTen() throws {
        let until = Instant(milliseconds: 0).adding(seconds: 3 * Self.window)
        var inside = 0, runs = 0
        for (index, r) in [0.4, 0.8, 1.0, 1.3, 1.8].enumerated() {
            for mixed in [false, true] {
                for run in 0..<40 {
                    let tree = SpreadTree(nodes: Self.campaign(r: r, roots: 25, mixed: mixed, until: until, seed: UInt64(1_000 * index + 100 * (mixed ? 1 : 0) + run)))
                    let observed = tree.offspring(from: Instant(milliseconds: 0), until: until, windowSeconds: Self.window)
                    guard let estimate = SpreadForecast.estimate(observed.counts) else { continue }
                    runs += 1
                    if estimate.low <= r && r <= estimate.high { inside += 1 }
                }
            }
        }
        #expect(runs >= 380)
        #expect(Double(inside) >= 0.9 * Double(runs), "\(inside) of \(runs)")
        #expect(Double(inside) <= 0.99 * Double(runs), "\(inside) of \(runs): the interval says nothing")
    }

    @Test func theTreeKnowsItsGenerationsReachAndHotNodes() {
        let t = { (seconds: Int64) in Instant(milliseconds: 0).adding(seconds: seconds) }
        let tree = SpreadTree(nodes: [
            .init(id: "a", name: "A", parentID: nil, joinedAt: t(0), buyers: 2),
            .init(id: "b", name: "B", parentID: "a", joinedAt: t(10), buyers: 1),
            .init(id: "c", name: "C", parentID: "a", joinedAt: t(20), buyers: 0),
            .init(id: "d", name: "D", parentID: "b", joinedAt: t(30), buyers: 5),
            .init(id: "e", name: "E", parentID: "outside", joinedAt: t(5), buyers: 3),
        ])
        #expect(tree.roots == ["a", "e"] && tree.generations == [2, 2, 1])
        #expect(["a", "b", "c", "d", "e"].map(tree.reach(of:)) == [8, 6, 0, 5, 3] && tree.reach(of: "outside") == 0)
        #expect(tree.children(of: "a") == ["b", "c"] && tree.depth(of: "d") == 2 && tree.depth(of: "outside") == nil)
        #expect(tree.hot(limit: 3).map(\.id) == ["a", "b", "d"])
        // Windows of 25 s observed until 40 s: a (0–25), e (5–30) and b (10–35) are complete.
        let observed = tree.offspring(from: t(0), until: t(40), windowSeconds: 25)
        #expect(observed.counts == [2, 0, 1] && observed.frontier == 2)
    }

    /// Random forests of up to 400 nodes, with ties in time and reach, a cycle and a repeated id:
    /// the tree's arrays against plain recursion over the nodes, the short list of hot nodes
    /// against the full sort, and the tree at its middle against a tree built from the nodes
    /// that had joined by then.
    @Test func theTreeAgreesWithPlainRecursion() {
        var random = SplitMix(seed: 29)
        for _ in 0..<60 {
            let count = 1 + random.next(400)
            var given: [SpreadTree.Node] = (0..<count).map { index in
                let parent = index > 0 && random.next(5) != 0 ? "n\(random.next(index))" : (random.next(3) == 0 ? "gone" : nil)
                return .init(id: "n\(index)", name: "N", parentID: parent, joinedAt: Instant(milliseconds: Int64(index / 3) * 1_000),
                             buyers: Int64(random.next(4)))
            }
            given += [.init(id: "x", name: "X", parentID: "y", joinedAt: Instant(milliseconds: 5), buyers: 9),
                      .init(id: "y", name: "Y", parentID: "x", joinedAt: Instant(milliseconds: 6), buyers: 9), given[0]]
            let tree = SpreadTree(nodes: given.shuffled(using: &random))
            #expect(tree.nodes.count == count && tree.depth(of: "x") == nil)
            let byParent = Dictionary(grouping: tree.nodes.filter { $0.parentID.flatMap(tree.depth(of:)) != nil }, by: { $0.parentID ?? "" })
            let buyers = Dictionary(tree.nodes.map { ($0.id, $0.buyers) }, uniquingKeysWith: { first, _ in first })
            func reach(_ id: String) -> Int64 { (byParent[id] ?? []).reduce(buyers[id] ?? 0) { $0 + reach($1.id) } }
            for node in tree.nodes.prefix(40) {
                #expect(tree.reach(of: node.id) == reach(node.id))
                #expect(tree.children(of: node.id) == (byParent[node.id] ?? []).map(\.id))
            }
            for limit in [1, 3, 10] { #expect(tree.hot(limit: limit).map(\.id) == Array(tree.hot(limit: count).prefix(limit)).map(\.id)) }
            let mid = Instant(milliseconds: Int64(count / 6) * 1_000)
            let early = SpreadTree(nodes: tree.nodes.filter { $0.joinedAt < mid })
            let (now, then) = (tree.offspring(from: Instant(milliseconds: 0), until: mid, windowSeconds: 7),
                               early.offspring(from: Instant(milliseconds: 0), until: mid, windowSeconds: 7))
            #expect(now.counts == then.counts && now.frontier == then.frontier)
            #expect(tree.recruits(since: mid) == tree.nodes.filter { $0.joinedAt >= mid && $0.parentID.flatMap(tree.depth(of:)) != nil }.count)
        }
    }

    @Test func theIntervalAndTheReach() throws {
        #expect(SpreadForecast.estimate([1, 2, 3]) == nil)
        let none = try #require(SpreadForecast.estimate([0, 0, 0, 0, 0, 0]))
        #expect(none.r == 0 && none.low == 0 && none.high > 0 && none.high < 1)
        let steady = try #require(SpreadForecast.estimate(Array(repeating: 2, count: 50)))
        #expect(steady.r == 2 && steady.low < 2 && steady.high > 2 && steady.dispersion == 1)
        let wild = try #require(SpreadForecast.estimate(Array(repeating: 0, count: 25) + Array(repeating: 4, count: 25)))
        #expect(wild.r == 2 && wild.dispersion > 1 && wild.high - wild.low > steady.high - steady.low)
        let reach = SpreadForecast.reach(frontier: 10, estimate: steady, generations: 3)
        #expect(reach.count == 3 && abs(reach[2].expected - 10 * (2 + 4 + 8)) < 1e-9 && reach[2].low < reach[2].expected && reach[2].high > reach[2].expected)
        #expect(abs(SpreadForecast.normalQuantile(0.975) - 1.959964) < 1e-5)
        #expect(abs(SpreadForecast.chiSquareQuantile(0.975, degrees: 10) - 20.483) < 0.1)
    }
}
