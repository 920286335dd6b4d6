/// A draft commission plan to try on past orders before switching to it: a program default and
/// product rules that replace today's. Campaign and variant (SKU) rules take precedence over
/// product and program rules (`RuleResolution`); a draft does not change them, so their lines
/// keep the rule they were sold under.
public struct PlanDraft: Sendable, Equatable {
    public var program: CommissionRule?
    /// A product's draft rule, or nil to take its rule away (its lines then fall to the program's).
    public var productRules: [String: CommissionRule?]

    public init(program: CommissionRule? = nil, productRules: [String: CommissionRule?] = [:]) {
        self.program = program
        self.productRules = productRules
    }

    /// The rule a line would have been sold under with the draft in force. `program` is today's
    /// program default, for a line whose product rule the draft takes away and no draft program.
    public func rule(for item: Order.Item, program today: CommissionRule) -> CommissionRule {
        let source = item.ruleSource
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
