/// A tree's estimate and forecast, and the same forecast made halfway through the window beside
/// what happened after (rules §17).
public struct SpreadReport: Sendable {
    public typealias Range = (expected: Double, low: Double, high: Double)

    public struct Backtest: Sendable {
        /// When the forecast was made: the middle of the window.
        public let at: Instant
        public let estimate: SpreadForecast.Estimate
        /// New promoters expected under the tree by the end of the window.
        public let predicted: Range
        /// New promoters who did join under the tree by then.
        public let actual: Int
    }

    public let tree: SpreadTree
    public let estimate: SpreadForecast.Estimate?
    /// Promoters still inside their recruiting window.
    public let frontier: Int
    /// Expected new promoters over each of the next generations (cumulative).
    public let forecast: [Range]
    public let backtest: Backtest?

    /// The most generations a backtest looks ahead.
    public static let maxGenerations: Int64 = 24

    public init(tree: SpreadTree, from: Instant, to: Instant, windowSeconds: Int64, generations: Int) {
        self.tree = tree
        let observed = tree.offspring(from: from, until: to, windowSeconds: windowSeconds)
        estimate = SpreadForecast.estimate(observed.counts)
        frontier = observed.frontier
        forecast = estimate.map { SpreadForecast.reach(frontier: observed.frontier, estimate: $0, generations: generations) } ?? []

        let mid = from.adding(milliseconds: (to.milliseconds - from.milliseconds) / 2)
        // The tree as it stood at `mid` is this one's nodes that had joined by then: the same
        // counts, without building it again.
        let before = tree.offspring(from: from, until: mid, windowSeconds: windowSeconds)
        if let estimate = SpreadForecast.estimate(before.counts), windowSeconds > 0 {
            let span = (to.milliseconds - mid.milliseconds) / 1_000
            let steps = Int(min(Self.maxGenerations, max(1, (span + windowSeconds - 1) / windowSeconds)))
            let predicted = SpreadForecast.reach(frontier: before.frontier, estimate: estimate, generations: steps).last ?? (0, 0, 0)
            backtest = Backtest(at: mid, estimate: estimate, predicted: predicted, actual: tree.recruits(since: mid))
        } else {
            backtest = nil
        }
    }
}
