/// A commission rule (docs/rules.md §4): percent (bps of the line paid) or fixed (fen per unit), a rate
/// per level, an optional level-1 tier ladder and an optional cap per line per level.
public struct CommissionRule: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case percent, fixed }
    public enum TierMode: String, Codable, Sendable, CaseIterable { case perOrder = "per_order", retroactive }

    /// One rung of a ladder over the promoter's paid attributed orders this month: from the
    /// `from`-th order on, level 1 earns `rate` (in `type`'s unit; the rule's type if absent).
    public struct Tier: Codable, Equatable, Sendable {
        public var from: Int64
        public var rate: Int64
        public var type: Kind?

        public init(from: Int64, rate: Int64, type: Kind? = nil) {
            self.from = from
            self.rate = rate
            self.type = type
        }
    }

    public var type: Kind
    public var levels: [Int64]
    public var tiers: [Tier]?
    public var tierMode: TierMode
    public var maxAmount: Int64?

    /// Repriced at month close on every order of the month (its lines are marked so when stored):
    /// at the ladder's tier reached, and at the rank the promoter holds then.
    public var paysRetroactively: Bool { tierMode == .retroactive }

    public init(type: Kind, levels: [Int64], tiers: [Tier]? = nil, tierMode: TierMode = .perOrder, maxAmount: Int64? = nil) {
        self.type = type
        self.levels = levels
        self.tiers = tiers
        self.tierMode = tierMode
        self.maxAmount = maxAmount
    }

    /// The fields of a rule as JSON (a request may send no others).
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case type, levels, tiers, tierMode = "tier_mode", maxAmount = "max_amount"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(Kind.self, forKey: .type)
        levels = try container.decode([Int64].self, forKey: .levels)
        tiers = try container.decodeIfPresent([Tier].self, forKey: .tiers)
        tierMode = try container.decodeIfPresent(TierMode.self, forKey: .tierMode) ?? .perOrder
        maxAmount = try container.decodeIfPresent(Int64.self, forKey: .maxAmount)
    }

    /// The program's default rule.
    public static func programDefault(_ settings: ProgramSettings) -> CommissionRule {
        CommissionRule(type: settings.ruleType == .percent ? .percent : .fixed, levels: settings.levels)
    }

    /// Shape first (422 `validation_failed`), then the legal limits (422 `compliance_violation`):
    /// at most 3 levels, and percent rates (tiers included, plus the largest rank bonus) within
    /// `max_total_bps`.
    public func validate(maxTotalBps: Int64, maxRankBonusBps: Int64 = 0) throws(TuikeError) {
        var invalid: [String] = []
        if levels.isEmpty { invalid.append("levels needs at least one level") }
        if levels.contains(where: { $0 < 0 }) { invalid.append("levels must not be negative") }
        if let problem = Self.rateProblem(levels, type: type, what: "level") { invalid.append(problem) }
        if let maxAmount, !(0...Money.maxAmount).contains(maxAmount) { invalid.append("max_amount must be between 0 and \(Money.maxAmount) fen") }
        if let tiers {
            if tiers.isEmpty { invalid.append("tiers, when given, needs at least one tier") }
            if tiers.count > Self.maxTiers { invalid.append("at most \(Self.maxTiers) tiers") }
            if tiers.first?.from != 1 { invalid.append("the first tier starts from order 1") }
            if tiers.contains(where: { $0.from > Self.maxTierFrom }) { invalid.append("a tier starts from order \(Self.maxTierFrom) at the latest") }
            if zip(tiers, tiers.dropFirst()).contains(where: { $0.from >= $1.from }) { invalid.append("tiers must start at increasing order counts") }
            if tiers.contains(where: { $0.rate < 0 }) { invalid.append("tier rates must not be negative") }
            for kind in Kind.allCases {
                if let problem = Self.rateProblem(tiers.filter { ($0.type ?? type) == kind }.map(\.rate), type: kind, what: "tier rate") {
                    invalid.append(problem)
                }
            }
            if tierMode == .retroactive, tiers.contains(where: { ($0.type ?? type) != type }) {
                invalid.append("retroactive tiers must all be of the rule's type")
            }
        }
        if !invalid.isEmpty { throw .validation(invalid.joined(separator: "; ")) }

        var violations: [String] = []
        if levels.count > ProgramSettings.maxLevels { violations.append("at most \(ProgramSettings.maxLevels) commission levels are allowed, got \(levels.count)") }
        let upper = Money.total(levels.dropFirst())
        let levelOneRates = [type == .percent ? levels.first ?? 0 : 0] + (tiers ?? []).filter { ($0.type ?? type) == .percent }.map(\.rate)
        let worst = Money.total([levelOneRates.max() ?? 0, maxRankBonusBps, type == .percent ? upper : 0])
        if worst > maxTotalBps { violations.append("rates can add up to \(worst) bps, above max_total_bps \(maxTotalBps)") }
        if !violations.isEmpty { throw .compliance(violations.joined(separator: "; ")) }
    }

    /// The most tiers a ladder has, and the latest order count a tier may start from.
    public static let maxTiers = 20
    public static let maxTierFrom: Int64 = 1_000_000

    /// Why rates of `type` are out of range, if any is: percent rates are at most 10000 bps, fixed
    /// ones (fen per unit) at most the highest price a product may have.
    public static func rateProblem(_ rates: [Int64], type: Kind, what: String) -> String? {
        switch type {
        case .percent where rates.contains(where: { $0 > Money.fullRate }):
            "a percent \(what) is at most \(Money.fullRate) bps"
        case .fixed where rates.contains(where: { $0 > Product.maxPrice }):
            "a fixed \(what) is at most \(Product.maxPrice) fen per unit"
        default: nil
        }
    }

    /// The tier for the `n`-th paid attributed order of the month (1-based).
    public func tier(forOrder n: Int64) -> Tier? {
        tiers?.last { $0.from <= n }
    }
}

/// A time-boxed override (限时高额返利): for one product or all, `[startsAt, endsAt)`.
public struct CampaignRule: Equatable, Sendable {
    public let id: String
    public let productID: String?
    public let startsAt: Instant
    public let endsAt: Instant
    public let rule: CommissionRule

    public init(id: String, productID: String?, startsAt: Instant, endsAt: Instant, rule: CommissionRule) {
        self.id = id
        self.productID = productID
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.rule = rule
    }

    public func applies(to product: String, at instant: Instant) -> Bool {
        (productID == nil || productID == product) && startsAt <= instant && instant < endsAt
    }
}

public enum RuleSource: Equatable, Sendable {
    case campaign(String), sku, product, program

    public var label: String {
        switch self {
        case .campaign(let id): "campaign:\(id)"
        case .sku: "sku"
        case .product: "product"
        case .program: "program"
        }
    }
}

public enum RuleResolution {
    /// docs/rules.md §4: an active campaign rule (one for the product before one for all products, then
    /// the latest start), else the rule of the variant (SKU) bought, else the product's rule, else the
    /// program default.
    public static func resolve(productID: String, at instant: Instant, campaigns: [CampaignRule], skuRule: CommissionRule? = nil,
                               productRule: CommissionRule?, programDefault: CommissionRule) -> (rule: CommissionRule, source: RuleSource) {
        let active = campaigns.filter { $0.applies(to: productID, at: instant) }
            .sorted { ($0.productID != nil ? 1 : 0, $0.startsAt, $0.id) > ($1.productID != nil ? 1 : 0, $1.startsAt, $1.id) }
        if let campaign = active.first { return (campaign.rule, .campaign(campaign.id)) }
        if let skuRule { return (skuRule, .sku) }
        if let productRule { return (productRule, .product) }
        return (programDefault, .program)
    }
}
