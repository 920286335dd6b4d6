import Foundation

/// A promoter rank (普通 / 银牌 / 金牌): reached by the promoter's own paid orders or GMV over
/// the trailing 30 days (never by its downline's sales: no team-volume pay), and worth `bonusBps`
/// on level 1 of percent rules.
public struct Rank: Equatable, Sendable {
    public enum Metric: String, Codable, Sendable, CaseIterable { case paidOrders = "paid_orders", gmv }

    public let id: String
    public let name: String
    public let metric: Metric
    public let threshold: Int64
    public let bonusBps: Int64

    public init(id: String, name: String, metric: Metric, threshold: Int64, bonusBps: Int64) {
        self.id = id
        self.name = name
        self.metric = metric
        self.threshold = threshold
        self.bonusBps = bonusBps
    }

    public static let trailingDays: Int64 = 30

    /// The rank a promoter holds: of the ranks it qualifies for, the one with the largest bonus
    /// (then the highest threshold, then the name, so the choice is stable).
    public static func choose(from ranks: [Rank], paidOrders: Int64, gmv: Int64) -> Rank? {
        ranks.filter { ($0.metric == .paidOrders ? paidOrders : gmv) >= $0.threshold }
            .max { ($0.bonusBps, $0.threshold, $1.name) < ($1.bonusBps, $1.threshold, $0.name) }
    }

    public static let maxNameLength = 40

    public func validate(program: ProgramSettings) throws(TuikeError) {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > Self.maxNameLength { throw .validation("name must be 1 to \(Self.maxNameLength) characters") }
        try PlainText.check(name, field: "name")
        if !(0...Money.maxAmount).contains(threshold) { throw .validation("threshold must be between 0 and \(Money.maxAmount)") }
        if !(0...Money.fullRate).contains(bonusBps) { throw .validation("bonus_bps must be between 0 and 10000") }
        let total = Money.plus(Money.total(program.levels), bonusBps)
        if program.ruleType == .percent, total > program.maxTotalBps {
            throw .compliance("the default levels plus this bonus add up to \(total) bps, above max_total_bps \(program.maxTotalBps)")
        }
    }
}
