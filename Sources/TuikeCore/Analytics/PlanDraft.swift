/// A draft commission plan to try on past orders before switching to it: a program default,
/// product rules that replace today's, rules for campaigns that ran, and campaigns that did not.
/// Tier ladders are part of any of these rules. Variant (SKU) rules a draft does not change: their
/// lines keep the rule they were sold under, unless a draft campaign covers them.
public struct PlanDraft: Sendable, Equatable {
    public var program: CommissionRule?
    /// A product's draft rule, or nil to take its rule away (its lines then fall to the program's).
    public var productRules: [String: CommissionRule?]
    /// A draft rule for a campaign that ran (by its id): the lines it paid for take it instead.
    public var campaignRules: [String: CommissionRule]
    /// Campaigns tried on the period as if they had run (ids of the draft's own): the lines of
    /// their product (or of every product) paid while one was running take its rule, before any
    /// other rule; among several, as live campaigns are chosen (`RuleResolution`).
    public var campaigns: [CampaignRule]

    public init(program: CommissionRule? = nil, productRules: [String: CommissionRule?] = [:], campaignRules: [String: CommissionRule] = [:],
                campaigns: [CampaignRule] = []) {
        self.program = program
        self.productRules = productRules
        self.campaignRules = campaignRules
        self.campaigns = campaigns
    }

    /// The rule a line would have been sold under with the draft in force, its order paid at
    /// `paidAt`. `program` is today's program default, for a line whose product rule the draft
    /// takes away and no draft program.
    public func rule(for item: Order.Item, paidAt: Instant?, program today: CommissionRule) -> CommissionRule {
        if let paidAt, !campaigns.isEmpty {
            let running = RuleResolution.resolve(productID: item.productID, at: paidAt, campaigns: campaigns, productRule: nil, programDefault: item.rule)
            if case .campaign = running.source { return running.rule }
        }
        let source = item.ruleSource
        if source.hasPrefix("campaign:"), let rule = campaignRules[String(source.dropFirst("campaign:".count))] { return rule }
        guard source == RuleSource.product.label || source == RuleSource.program.label else { return item.rule }
        if let entry = productRules[item.productID] {
            return entry ?? program ?? (source == RuleSource.program.label ? item.rule : today)
        }
        return source == RuleSource.program.label ? program ?? item.rule : item.rule
    }

    /// The draft's legal verdict: each rule within the limits the live settings would enforce
    /// (at most 3 levels, rates within `max_total_bps` with the largest rank bonus). A rule of the
    /// wrong shape (a negative rate, tiers out of order) is an error, not a verdict.
    public func violations(maxTotalBps: Int64, maxRankBonusBps: Int64) throws(TuikeError) -> [String] {
        var found: [String] = []
        let named: [(String, CommissionRule)] = (program.map { [("program", $0)] } ?? [])
            + productRules.sorted { $0.key < $1.key }.compactMap { id, rule in rule.map { ("product \(id)", $0) } }
            + campaignRules.sorted { $0.key < $1.key }.map { ("campaign \($0.key)", $0.value) }
            + campaigns.map { ("campaign \($0.id)", $0.rule) }
        for (name, rule) in named {
            do {
                try rule.validate(maxTotalBps: maxTotalBps, maxRankBonusBps: maxRankBonusBps)
            } catch where error.code == "compliance_violation" {
                found.append("\(name): \(error.message)")
            } catch {
                throw .validation("\(name): \(error.message)")
            }
        }
        return found
    }
}
