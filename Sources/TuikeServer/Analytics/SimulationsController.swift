import Hummingbird
import TuikeCore
import TuikeStore

/// The plan simulator (docs/rules.md §17): a draft plan replayed over a period's paid orders by
/// the live commission code. Reads only; nothing is booked or changed.
struct SimulationsController {
    let database: any Database
    let simulations: SimulationQuery
    let promoters: PromoterRepository
    let products: ProductRepository
    let program: ProgramRepository
    let ranks: RankRepository
    let clock: any TuikeClock

    /// The most product (or campaign) rules and draft campaigns a draft may hold, and promoters a
    /// result lists by default.
    static let maxProductRules = 1_000
    static let maxCampaigns = 100
    static let defaultLimit = 100

    func addRoutes(to api: APIRoutes) {
        api.add(.post, "/api/v1/simulations", summary: "Try a draft commission plan on a period's paid orders (books nothing)", tag: "Analytics",
                access: .admin, request: Self.requestSchema, responses: [(200, "Today's cost and the draft's, per promoter.", Self.resultSchema)],
                handler: simulate)
    }

    struct ProgramDraft: Decodable, Sendable {
        let levels: [Int64]
        let ruleType: ProgramSettings.RuleType
        let tiers: [CommissionRule.Tier]?
        let tierMode: CommissionRule.TierMode?
        let maxAmount: Int64?
        enum CodingKeys: String, CodingKey { case levels, ruleType = "rule_type", tiers, tierMode = "tier_mode", maxAmount = "max_amount" }

        var rule: CommissionRule {
            CommissionRule(type: ruleType == .percent ? .percent : .fixed, levels: levels, tiers: tiers, tierMode: tierMode ?? .perOrder, maxAmount: maxAmount)
        }
    }

    /// A campaign tried as if it had run: the lines of its product (or of every product, without
    /// one) paid in `[starts_at, ends_at)` take its rule.
    struct CampaignDraft: Decodable, Sendable {
        let productId: String?
        let startsAt: String
        let endsAt: String
        let rule: CommissionRule
        enum CodingKeys: String, CodingKey { case productId = "product_id", startsAt = "starts_at", endsAt = "ends_at", rule }
    }

    struct SimulationRequest: RequestBody {
        let from: String
        let to: String
        let program: ProgramDraft?
        let productRules: [String: CommissionRule?]?
        let campaignRules: [String: CommissionRule]?
        let campaigns: [CampaignDraft]?
        let limit: Int?
        typealias Keys = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case from, to, program, productRules = "product_rules", campaignRules = "campaign_rules", campaigns, limit
        }
    }

    static let requestSchema: JSONValue = {
        let dayOrTime = ReportsController.dayOrTime
        return Schemas.object([
            ("from", dayOrTime), ("to", dayOrTime),
            ("program", Schemas.object([
                ("levels", Schemas.array(Schemas.integer(atLeast: 0), minItems: 1)),
                ("rule_type", Schemas.enumeration(ProgramSettings.RuleType.allCases.map(\.rawValue))),
                ("tiers", Schemas.array(Schemas.object([("from", Schemas.integer(atLeast: 1)), ("rate", Schemas.integer(atLeast: 0)),
                                                        ("type", Schemas.enumeration(CommissionRule.Kind.allCases.map(\.rawValue)))], required: ["from", "rate"]))),
                ("tier_mode", Schemas.enumeration(CommissionRule.TierMode.allCases.map(\.rawValue))),
                ("max_amount", Schemas.integer(in: 0...Money.maxAmount)),
            ], required: ["levels", "rule_type"])),
            ("product_rules", ["type": "object", "maxProperties": .int(Int64(maxProductRules)),
                               "additionalProperties": Schemas.nullable(Schemas.ref("CommissionRule")),
                               "description": "A draft rule per product id; null takes the product's rule away."] as JSONValue),
            ("campaign_rules", ["type": "object", "maxProperties": .int(Int64(maxProductRules)), "additionalProperties": Schemas.ref("CommissionRule"),
                                "description": "A draft rule per campaign rule id: the lines that campaign paid for take it instead."] as JSONValue),
            ("campaigns", Schemas.array(Schemas.object([
                ("product_id", Schemas.string), ("starts_at", dayOrTime), ("ends_at", dayOrTime), ("rule", Schemas.ref("CommissionRule")),
            ], required: ["starts_at", "ends_at", "rule"]), maxItems: maxCampaigns,
               "Campaigns tried as if they had run: lines of the product (every product without one) paid while one runs take its rule first.")),
            ("limit", Schemas.integer(in: 1...Int64(Leaderboard.maxLimit), "Promoters listed, biggest change first; default 100.")),
        ], required: ["from", "to"])
    }()

    struct CostView: Encodable, Sendable {
        let promoterId: String
        let name: String
        let current: Int64
        let simulated: Int64
        let change: Int64
        let currentNet: Int64
        let simulatedNet: Int64
    }

    struct ResultView: Encodable, Sendable {
        let from: Instant
        let to: Instant
        let orders: Int64
        let approximateOrders: Int64
        let currentCost: Int64
        let simulatedCost: Int64
        let change: Int64
        let currentNet: Int64
        let simulatedNet: Int64
        let currentTax: Int64
        let simulatedTax: Int64
        let compliant: Bool
        let violations: [String]
        let ladderMonths: Int
        let currentAdjustments: Int64
        let simulatedAdjustments: Int64
        let approximateMonths: Int64
        let promotersChanged: Int
        let promoters: [CostView]
    }

    static let resultSchema: JSONValue = {
        let money = Schemas.integer
        return Schemas.object([
            ("from", Schemas.time), ("to", Schemas.time), ("orders", Schemas.integer(atLeast: 0)), ("approximate_orders", Schemas.integer(atLeast: 0)),
            ("current_cost", money), ("simulated_cost", money), ("change", money), ("current_net", money), ("simulated_net", money),
            ("current_tax", money), ("simulated_tax", money), ("compliant", Schemas.boolean), ("violations", Schemas.array(Schemas.string)),
            ("ladder_months", Schemas.integer(atLeast: 0, "Closed calendar months the period spans whole: their month-end ladder adjustments are in the costs.")),
            ("current_adjustments", money), ("simulated_adjustments", money),
            ("approximate_months", Schemas.integer(atLeast: 0, "Promoters' months whose draft adjustment counted the month as it stands now.")),
            ("promoters_changed", Schemas.integer(atLeast: 0)),
            ("promoters", Schemas.array(Schemas.object([
                ("promoter_id", Schemas.string), ("name", Schemas.string), ("current", money), ("simulated", money), ("change", money),
                ("current_net", money), ("simulated_net", money),
            ], required: ["promoter_id", "current", "simulated"]))),
        ], required: ["orders", "current_cost", "simulated_cost", "promoters", "compliant"])
    }()

    @Sendable func simulate(_ request: Request, context: TuikeRequestContext) async throws -> Response {
        try context.requireAdmin()
        let body = try await JSONBody.decode(SimulationRequest.self, from: request, context: context)
        let settings = try await program.current()
        let from = try ReportsController.instant(body.from, field: "from", dayEnd: false, timeZone: settings.timeZone)
        let to = try ReportsController.instant(body.to, field: "to", dayEnd: true, timeZone: settings.timeZone)
        guard from < to else { throw TuikeError.validation("from must be before to") }
        try ReportsController.requireSpan(from: from, to: to)
        let limit = body.limit ?? Self.defaultLimit
        guard (1...Leaderboard.maxLimit).contains(limit) else { throw TuikeError.validation("limit must be from 1 to \(Leaderboard.maxLimit)") }
        let rules = body.productRules ?? [:]
        guard rules.count <= Self.maxProductRules else { throw TuikeError.validation("at most \(Self.maxProductRules) product rules") }
        for id in rules.keys.sorted() where try await products.find(id) == nil { throw TuikeError.validation("product_rules: \(id) is not a product") }
        let campaignRules = body.campaignRules ?? [:]
        guard campaignRules.count <= Self.maxProductRules else { throw TuikeError.validation("at most \(Self.maxProductRules) campaign rules") }
        let campaignRepository = CampaignRuleRepository(database: database)
        for id in campaignRules.keys.sorted() where try await campaignRepository.find(id) == nil {
            throw TuikeError.validation("campaign_rules: \(id) is not a campaign rule")
        }
        guard (body.campaigns?.count ?? 0) <= Self.maxCampaigns else { throw TuikeError.validation("at most \(Self.maxCampaigns) campaigns") }
        var campaigns: [CampaignRule] = []
        for (index, campaign) in (body.campaigns ?? []).enumerated() {
            let field = "campaigns[\(index)]"
            let starts = try ReportsController.instant(campaign.startsAt, field: "\(field).starts_at", dayEnd: false, timeZone: settings.timeZone)
            let ends = try ReportsController.instant(campaign.endsAt, field: "\(field).ends_at", dayEnd: true, timeZone: settings.timeZone)
            guard starts < ends else { throw TuikeError.validation("\(field): starts_at must be before ends_at") }
            if let product = campaign.productId, try await products.find(product) == nil {
                throw TuikeError.validation("\(field).product_id: \(product) is not a product")
            }
            // Ids compare as text when draft campaigns tie: zero-padded, the later in the list wins.
            campaigns.append(CampaignRule(id: String(format: "draft-%03d", index + 1), productID: campaign.productId, startsAt: starts, endsAt: ends, rule: campaign.rule))
        }
        let draft = PlanDraft(program: body.program?.rule, productRules: rules, campaignRules: campaignRules, campaigns: campaigns)
        // The ranks that exist add their bonus to a level-1 percent rate: the verdict counts the largest.
        let bonus = try await ranks.all().map(\.bonusBps).max() ?? 0
        let violations = try draft.violations(maxTotalBps: settings.maxTotalBps, maxRankBonusBps: bonus)
        let today = CommissionRule.programDefault(settings)
        let simulation = try await database.report { [simulations] in
            try await simulations.run(from: from, to: to, draft: draft, program: today, timeZone: settings.timeZone)
        }
        let tax = simulation.tax(mode: settings.taxMode)
        let listed = simulation.byChange(limit: limit)
        let names = try await promoters.names(listed.map(\.promoterID))
        return try JSONOutput.response(ResultView(
            from: from, to: to, orders: simulation.orders, approximateOrders: simulation.approximateOrders,
            currentCost: simulation.total.current, simulatedCost: simulation.total.simulated, change: simulation.total.change,
            currentNet: simulation.total.currentNet, simulatedNet: simulation.total.simulatedNet, currentTax: tax.current, simulatedTax: tax.simulated,
            compliant: violations.isEmpty, violations: violations, ladderMonths: simulation.ladderMonths,
            currentAdjustments: simulation.adjustments.current, simulatedAdjustments: simulation.adjustments.simulated,
            approximateMonths: simulation.approximateMonths, promotersChanged: simulation.promoters.values.filter { $0.change != 0 }.count,
            promoters: listed.map { id, cost in
                CostView(promoterId: id, name: names[id] ?? id, current: cost.current, simulated: cost.simulated, change: cost.change,
                         currentNet: cost.currentNet, simulatedNet: cost.simulatedNet)
            }))
    }
}
