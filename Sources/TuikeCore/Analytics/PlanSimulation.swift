/// The plan simulator's tally: paid orders replayed through the live payment's own commission
/// code (`PaymentPlan.commissions`, hence `CommissionEngine`) under a draft plan, beside what
/// their payments booked. Books nothing. Each order is replayed with the inputs its payment saw
/// (`CommissionInputs`): the same promoters active, the same rank bonuses, the same place in the
/// month, so a draft equal to the live plan reproduces the booked commissions fen for fen.
public struct PlanSimulation: Sendable {
    /// A promoter's or the whole period's cost: gross as earned at payment, net of what the
    /// lines' refunds reverse (rules §8), and the tax a settlement would withhold on the net.
    public struct Cost: Sendable, Equatable {
        public var current: Int64 = 0
        public var simulated: Int64 = 0
        public var currentNet: Int64 = 0
        public var simulatedNet: Int64 = 0

        public init() {}

        public var change: Int64 { Money.minus(simulated, current) }
    }

    /// A commission a payment booked (its `order` kind only: month-end adjustments are not
    /// the payment's).
    public struct Booked: Sendable, Equatable {
        public let itemID: String
        public let promoterID: String
        public let level: Int64
        public let amount: Int64

        public init(itemID: String, promoterID: String, level: Int64, amount: Int64) {
            self.itemID = itemID
            self.promoterID = promoterID
            self.level = level
            self.amount = amount
        }
    }

    public private(set) var orders: Int64 = 0
    /// Orders replayed approximately: paid before payments kept their inputs (replayed with the
    /// promoters their commissions went to and no rank bonus), or given a draft ladder their
    /// payment did not count the month for (counted as the month's orders stand now).
    public private(set) var approximateOrders: Int64 = 0
    public private(set) var total = Cost()
    public private(set) var promoters: [String: Cost] = [:]
    /// The lines of the closed months the period spans whole, for their month-end adjustments.
    public private(set) var ladders = LadderMonths()
    /// How many closed months the period spans whole.
    public var ladderMonths = 0
    /// Month-end adjustments of those months: booked, and the draft's.
    public private(set) var adjustments = Cost()
    /// Promoters' months whose adjustment was computed from the orders as they stand now (closed
    /// before closes kept what they saw).
    public private(set) var approximateMonths: Int64 = 0

    public init() {}

    /// The draft's commissions on one paid order, by the live code.
    public static func replay(_ order: Order, inputs: CommissionInputs, monthOrderNumber: Int64,
                              rule: (Order.Item) -> CommissionRule) -> [Booked] {
        var drafted = order
        drafted.items = order.items.map { item in
            Order.Item(id: item.id, productID: item.productID, title: item.title, kind: item.kind, unitPrice: item.unitPrice, quantity: item.quantity,
                       discount: item.discount, paid: item.paid, refunded: item.refunded, rule: rule(item), ruleSource: item.ruleSource,
                       sku: item.sku, skuID: item.skuID)
        }
        // Dates play no part in the amounts.
        let at = Instant(milliseconds: 0)
        return PaymentPlan.commissions(drafted, active: inputs.active, monthOrderNumber: monthOrderNumber, eligibleAt: at, now: at).map {
            Booked(itemID: $0.itemID, promoterID: $0.promoterID, level: $0.level, amount: $0.amount)
        }
    }

    /// Whether replaying `order` under `draft` needs the month's count its payment did not take
    /// (a draft ladder on lines that had none).
    public static func needsMonthCount(_ order: Order, inputs: CommissionInputs, draft: PlanDraft, program: CommissionRule) -> Bool {
        inputs.monthOrderNumber == nil && !inputs.active.isEmpty && order.items.contains { draft.rule(for: $0, paidAt: order.paidAt, program: program).tiers != nil }
    }

    /// Adds one paid order. `inputs` nil: the payment predates kept inputs (see `approximateOrders`).
    /// `monthCount` is the order's place in its promoter's month, counted now, for `needsMonthCount`.
    /// `ladderMonth` is the start of the order's month when it is a closed month the period spans
    /// whole (its adjustments are then compared too, `addAdjustment`).
    public mutating func add(_ order: Order, inputs stored: CommissionInputs?, booked: [Booked], draft: PlanDraft, program: CommissionRule,
                             monthCount: Int64?, ladderMonth: Int64? = nil) {
        orders &+= 1
        let inputs = stored ?? CommissionInputs(active: Dictionary(booked.map { ($0.promoterID, 0) }, uniquingKeysWith: { first, _ in first }),
                                                monthOrderNumber: nil)
        // Approximate: no kept inputs, or a draft ladder's month counted as the orders stand now.
        if stored == nil || (stored?.monthOrderNumber == nil && monthCount != nil) { approximateOrders &+= 1 }
        let number = inputs.monthOrderNumber ?? monthCount ?? 1
        let rules = Dictionary(order.items.map { ($0.id, draft.rule(for: $0, paidAt: order.paidAt, program: program)) }, uniquingKeysWith: { first, _ in first })
        let simulated = Self.replay(order, inputs: inputs, monthOrderNumber: number) { rules[$0.id] ?? $0.rule }
        if let ladderMonth {
            ladders.add(order, month: ladderMonth, paidAt: order.paidAt?.milliseconds ?? 0, inputs: inputs, simulated: simulated, rules: rules)
        }
        let lines = Dictionary(order.items.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        func net(_ commission: Booked) -> Int64 {
            guard let line = lines[commission.itemID] else { return commission.amount }
            let reversed = CommissionEngine.reversal(amount: commission.amount, linePaid: line.paid, refundedTotal: line.refunded, reversedBefore: 0)
            return Money.minus(commission.amount, reversed)
        }
        for commission in booked {
            let kept = net(commission)
            promoters[commission.promoterID, default: Cost()].current &+= commission.amount
            promoters[commission.promoterID, default: Cost()].currentNet &+= kept
            total.current &+= commission.amount
            total.currentNet &+= kept
        }
        for commission in simulated {
            let kept = net(commission)
            promoters[commission.promoterID, default: Cost()].simulated &+= commission.amount
            promoters[commission.promoterID, default: Cost()].simulatedNet &+= kept
            total.simulated &+= commission.amount
            total.simulatedNet &+= kept
        }
    }

    /// One promoter's month-end adjustments of a month: `booked` (gross and net of reversals) and
    /// the draft's (`approximate`: computed from the month as it stands now).
    public mutating func addAdjustment(promoterID: String, booked: Int64, bookedNet: Int64, simulated: Int64, approximate: Bool) {
        guard booked != 0 || simulated != 0 else { return }
        if approximate { approximateMonths &+= 1 }
        func apply(_ cost: inout Cost) {
            cost.current &+= booked
            cost.currentNet &+= bookedNet
            cost.simulated &+= simulated
            cost.simulatedNet &+= simulated
        }
        apply(&total)
        apply(&adjustments)
        apply(&promoters[promoterID, default: Cost()])
    }

    /// The tax withheld on each promoter's net, as if the period were settled in one batch,
    /// summed: (today, under the draft).
    public func tax(mode: ProgramSettings.TaxMode) -> (current: Int64, simulated: Int64) {
        promoters.values.reduce((Int64(0), Int64(0))) { sum, cost in
            (sum.0 &+ LabourTax.withheld(gross: max(0, cost.currentNet), mode: mode), sum.1 &+ LabourTax.withheld(gross: max(0, cost.simulatedNet), mode: mode))
        }
    }

    /// Promoters by the size of their change, gainers and losers alike, then by id.
    public func byChange(limit: Int) -> [(promoterID: String, cost: Cost)] {
        promoters.filter { $0.value.current != 0 || $0.value.simulated != 0 }
            .sorted { ($0.value.change.magnitude, $1.key) > ($1.value.change.magnitude, $0.key) }
            .prefix(max(0, limit)).map { ($0.key, $0.value) }
    }
}
