import Foundation
import Testing
@testable import TuikeCore

@Suite struct AnalyticsCoreTests {
    static let program = CommissionRule(type: .percent, levels: [2000, 500, 200])

    static func item(_ id: String, product: String, paid: Int64, quantity: Int64 = 1, refunded: Int64 = 0, rule: CommissionRule = program,
                     source: String = "program") -> Order.Item {
        Order.Item(id: id, productID: product, title: "课", kind: .course, unitPrice: paid, quantity: quantity, paid: paid, refunded: refunded,
                   rule: rule, ruleSource: source)
    }

    static func order(_ items: [Order.Item], levelOne: [String] = ["B"], two: String? = "A", three: String? = "R") -> Order {
        Order(id: "ord_1", buyerID: "buyer", externalID: nil, status: .paid, amount: Money.total(items.map(\.paid)), visitorID: nil, clickID: nil,
              coupon: nil, levelOne: levelOne, levelTwo: two, levelThree: three, attributionRule: .lastClick, attributionClickID: nil,
              selfReferral: false, createdAt: Instant(milliseconds: 0), items: items)
    }

    @Test func inputsSurviveTheirText() throws {
        let inputs = CommissionInputs(active: ["prm_b": 300, "prm_a": 0], monthOrderNumber: 12)
        #expect(inputs.text == "n=12;prm_a=0,prm_b=300")
        #expect(CommissionInputs(text: inputs.text) == inputs)
        let none = CommissionInputs(active: [:], monthOrderNumber: nil)
        #expect(none.text == "n=;")
        #expect(CommissionInputs(text: none.text) == none)
        for bad in ["", "n=", "x=1;a=0", "n=0;a=1", "n=1;a", "n=1;=3", "n=-2;", "n=1;a=b"] { #expect(CommissionInputs(text: bad) == nil, "\(bad)") }
    }

    /// Campaign and SKU lines keep their rule; a product's draft rule wins over the program's; a
    /// rule taken away falls to the draft program, or today's.
    @Test func aDraftReplacesOnlyProductAndProgramRules() {
        let draftProgram = CommissionRule(type: .percent, levels: [3000])
        let draftProduct = CommissionRule(type: .fixed, levels: [1_500])
        let today = CommissionRule(type: .percent, levels: [1000])
        let stored = CommissionRule(type: .percent, levels: [1234])
        let draft = PlanDraft(program: draftProgram, productRules: ["p1": draftProduct, "p2": CommissionRule?.none])
        #expect(draft.rule(for: Self.item("i", product: "p1", paid: 1, rule: stored, source: "program"), paidAt: nil, program: today) == draftProduct)
        #expect(draft.rule(for: Self.item("i", product: "p1", paid: 1, rule: stored, source: "product"), paidAt: nil, program: today) == draftProduct)
        #expect(draft.rule(for: Self.item("i", product: "p1", paid: 1, rule: stored, source: "campaign:cmp_1"), paidAt: nil, program: today) == stored)
        #expect(draft.rule(for: Self.item("i", product: "p1", paid: 1, rule: stored, source: "sku"), paidAt: nil, program: today) == stored)
        #expect(draft.rule(for: Self.item("i", product: "p2", paid: 1, rule: stored, source: "product"), paidAt: nil, program: today) == draftProgram)
        #expect(draft.rule(for: Self.item("i", product: "p3", paid: 1, rule: stored, source: "program"), paidAt: nil, program: today) == draftProgram)
        #expect(draft.rule(for: Self.item("i", product: "p3", paid: 1, rule: stored, source: "product"), paidAt: nil, program: today) == stored)
        let productsOnly = PlanDraft(productRules: ["p2": CommissionRule?.none])
        #expect(productsOnly.rule(for: Self.item("i", product: "p2", paid: 1, rule: stored, source: "product"), paidAt: nil, program: today) == today)
        #expect(productsOnly.rule(for: Self.item("i", product: "p3", paid: 1, rule: stored, source: "program"), paidAt: nil, program: today) == stored)
        #expect(PlanDraft().rule(for: Self.item("i", product: "p3", paid: 1, rule: stored, source: "product"), paidAt: nil, program: today) == stored)
    }

    /// A draft rule for a campaign that ran replaces that campaign's rule only; a draft campaign
    /// covers its product's lines paid while it runs, before every other rule (a product's before
    /// one for all products, then the latest start), and nothing outside its window.
    @Test func draftCampaignsAndCampaignRules() throws {
        let today = CommissionRule(type: .percent, levels: [1000])
        let stored = CommissionRule(type: .percent, levels: [1234])
        let replaced = CommissionRule(type: .percent, levels: [2222])
        let (forAll, forP1, later) = (CommissionRule(type: .fixed, levels: [100]), CommissionRule(type: .fixed, levels: [200]),
                                      CommissionRule(type: .fixed, levels: [300]))
        let start = Instant(milliseconds: 1_000_000)
        let draft = PlanDraft(campaignRules: ["cmp_1": replaced], campaigns: [
            CampaignRule(id: "draft-1", productID: nil, startsAt: start, endsAt: start.adding(seconds: 100), rule: forAll),
            CampaignRule(id: "draft-2", productID: "p1", startsAt: start, endsAt: start.adding(seconds: 50), rule: forP1),
            CampaignRule(id: "draft-3", productID: "p1", startsAt: start.adding(seconds: 10), endsAt: start.adding(seconds: 20), rule: later),
        ])
        func rule(_ product: String, _ source: String, at seconds: Int64?) -> CommissionRule {
            draft.rule(for: Self.item("i", product: product, paid: 1, rule: stored, source: source), paidAt: seconds.map { start.adding(seconds: $0) },
                       program: today)
        }
        #expect(rule("p1", "campaign:cmp_1", at: nil) == replaced && rule("p1", "campaign:cmp_2", at: nil) == stored)
        #expect(rule("p1", "campaign:cmp_1", at: -1) == replaced && rule("p1", "sku", at: 200) == stored)
        #expect(rule("p1", "product", at: 5) == forP1 && rule("p1", "sku", at: 15) == later && rule("p1", "campaign:cmp_1", at: 60) == forAll)
        #expect(rule("p2", "program", at: 0) == forAll && rule("p2", "program", at: 100) == stored)
        #expect(try draft.violations(maxTotalBps: 5000, maxRankBonusBps: 0).isEmpty)
        let greedy = PlanDraft(campaignRules: ["cmp_1": CommissionRule(type: .percent, levels: [6000])],
                               campaigns: [CampaignRule(id: "draft-1", productID: nil, startsAt: start, endsAt: start, rule: CommissionRule(type: .percent, levels: [5001]))])
        #expect((try? greedy.violations(maxTotalBps: 5000, maxRankBonusBps: 0))?.count == 2)
    }

    @Test func aDraftIsJudgedByTheLiveLimits() throws {
        #expect(try PlanDraft(program: CommissionRule(type: .percent, levels: [2000, 500])).violations(maxTotalBps: 5000, maxRankBonusBps: 0).isEmpty)
        let four = try PlanDraft(program: CommissionRule(type: .percent, levels: [100, 100, 100, 100])).violations(maxTotalBps: 5000, maxRankBonusBps: 0)
        #expect(four.count == 1 && four[0].hasPrefix("program: at most 3"))
        let greedy = try PlanDraft(productRules: ["p9": CommissionRule(type: .percent, levels: [4000, 2000])]).violations(maxTotalBps: 5000, maxRankBonusBps: 0)
        #expect(greedy.count == 1 && greedy[0].hasPrefix("product p9:"))
        #expect(throws: TuikeError.self) { try PlanDraft(program: CommissionRule(type: .percent, levels: [-1])).violations(maxTotalBps: 5000, maxRankBonusBps: 0) }
    }

    /// The live plan replayed gives what the payment books; every rate doubled gives twice, up
    /// to a fen per commission; refunds reverse both in proportion.
    @Test func replayingTheLivePlanReproducesThePayment() throws {
        let ladder = CommissionRule(type: .percent, levels: [1000, 300], tiers: [.init(from: 1, rate: 1000), .init(from: 3, rate: 1500)])
        let items = [Self.item("i1", product: "p1", paid: 33_333, refunded: 10_001), Self.item("i2", product: "p2", paid: 9_999, quantity: 3, rule: ladder, source: "product")]
        let order = Self.order(items)
        let snapshot = PaymentPlan.Snapshot(order: Self.order(items.map { item in
            Order.Item(id: item.id, productID: item.productID, title: item.title, kind: item.kind, unitPrice: item.unitPrice, quantity: item.quantity,
                       paid: item.paid, rule: item.rule, ruleSource: item.ruleSource)
        }), paymentID: "p", provider: "sandbox", active: ["B": 200, "A": 0], monthOrderNumber: 4, settings: ProgramSettings(), now: Instant(milliseconds: 0))
        let booked = try PaymentPlan(snapshot).commissions.map {
            PlanSimulation.Booked(itemID: $0.itemID, promoterID: $0.promoterID, level: $0.level, amount: $0.amount)
        }
        let inputs = CommissionInputs(snapshot)
        #expect(inputs.monthOrderNumber == 4 && inputs.active == ["B": 200, "A": 0])
        #expect(PlanSimulation.replay(order, inputs: inputs, monthOrderNumber: 4) { $0.rule } == booked)

        var same = PlanSimulation()
        same.add(order, inputs: inputs, booked: booked, draft: PlanDraft(), program: Self.program, monthCount: nil)
        #expect(same.total.current == same.total.simulated && same.total.currentNet == same.total.simulatedNet && same.approximateOrders == 0)
        #expect(same.total.current == Money.total(booked.map(\.amount)))

        func doubled(_ rule: CommissionRule) -> CommissionRule {
            CommissionRule(type: rule.type, levels: rule.levels.map { $0 * 2 }, tiers: rule.tiers?.map { .init(from: $0.from, rate: $0.rate * 2) })
        }
        var twice = PlanSimulation()
        twice.add(order, inputs: inputs, booked: booked, draft: PlanDraft(program: doubled(Self.program), productRules: ["p2": doubled(ladder)]),
                  program: Self.program, monthCount: nil)
        // The rank bonus (200 bps of B's) is the rank's, not the plan's: it stays.
        let bonus = Money.rate(33_333, bps: 200) + Money.rate(9_999, bps: 200)
        #expect(abs(twice.total.simulated - (2 * (twice.total.current - bonus) + bonus)) <= Int64(booked.count))
        #expect(twice.total.simulatedNet < twice.total.simulated && twice.byChange(limit: 1).first?.promoterID == "B")
    }

    /// A draft ladder on lines that had none needs the month's count the payment did not take.
    @Test func aDraftLadderAsksForTheMonthsCount() {
        let order = Self.order([Self.item("i1", product: "p1", paid: 10_000)])
        let inputs = CommissionInputs(active: ["B": 0], monthOrderNumber: nil)
        let ladder = CommissionRule(type: .percent, levels: [1000], tiers: [.init(from: 1, rate: 1000), .init(from: 5, rate: 2000)])
        #expect(!PlanSimulation.needsMonthCount(order, inputs: inputs, draft: PlanDraft(), program: Self.program))
        #expect(PlanSimulation.needsMonthCount(order, inputs: inputs, draft: PlanDraft(program: ladder), program: Self.program))
        var simulation = PlanSimulation()
        simulation.add(order, inputs: inputs, booked: [.init(itemID: "i1", promoterID: "B", level: 1, amount: 2_000)], draft: PlanDraft(program: ladder),
                       program: Self.program, monthCount: 5)
        #expect(simulation.total.simulated == 2_000 && simulation.approximateOrders == 1)
        // Without kept inputs: the booked promoters, no bonus.
        var approximate = PlanSimulation()
        approximate.add(order, inputs: nil, booked: [.init(itemID: "i1", promoterID: "B", level: 1, amount: 2_000)], draft: PlanDraft(),
                        program: Self.program, monthCount: nil)
        #expect(approximate.approximateOrders == 1 && approximate.total.simulated == 2_000)
    }

    @Test func equalValuesShareARankAndNobodyIsInvented() {
        let board = Leaderboard.rank(["d": 10, "a": 30, "c": 20, "b": 30, "e": 0, "f": -5, "g": 20, "h": 5])
        #expect(board.map(\.promoterID) == ["a", "b", "c", "g", "d", "h"])
        #expect(board.map(\.rank) == [1, 1, 3, 3, 5, 6])
        #expect(Leaderboard.rank([:]).isEmpty)
        #expect(Leaderboard.mask("张三丰") == "张**" && Leaderboard.mask("A") == "A**" && Leaderboard.mask("") == "**")
    }

    /// Days start at midnight and weeks on Monday in the program's zone (Asia/Shanghai, UTC+8).
    @Test func periodsTurnAtMidnightAndMondayInTheProgramsZone() throws {
        let zone = "Asia/Shanghai"
        let sundayLast = try #require(Instant(rfc3339: "2026-12-06T15:59:59.999Z"))   // Sun 23:59:59.999 CST
        let mondayFirst = try #require(Instant(rfc3339: "2026-12-06T16:00:00Z"))       // Mon 00:00 CST
        #expect(try CalendarPeriod.day.bounds(at: sundayLast, timeZone: zone).end == mondayFirst)
        #expect(try CalendarPeriod.day.bounds(at: mondayFirst, timeZone: zone).start == mondayFirst)
        #expect(try CalendarPeriod.week.bounds(at: sundayLast, timeZone: zone).start == Instant(rfc3339: "2026-11-29T16:00:00Z"))
        #expect(try CalendarPeriod.week.bounds(at: sundayLast, timeZone: zone).end == mondayFirst)
        #expect(try CalendarPeriod.week.bounds(at: mondayFirst, timeZone: zone).start == mondayFirst)
        let month = try CalendarPeriod.month.bounds(at: try #require(Instant(rfc3339: "2026-11-30T16:00:00Z")), timeZone: zone)
        #expect(month.start == Instant(rfc3339: "2026-11-30T16:00:00Z") && month.end == Instant(rfc3339: "2026-12-31T16:00:00Z"))
        #expect(try CalendarPeriod.month.bounds(at: try #require(Instant(rfc3339: "2026-11-30T15:59:59Z")), timeZone: zone).end == month.start)
    }

    @Test func conversionRatesRoundHalfUpAndNeedAWhole() {
        let funnel = Funnel(clicks: 10, views: 9, visitors: 3, orders: 2, paid: 1, refunded: 0, gmv: 100, refundedAmount: 0)
        #expect(funnel.conversion.order == 6_667 && funnel.conversion.payment == 5_000 && funnel.conversion.refund == 0)
        #expect(Funnel(clicks: 0, views: 0, visitors: 0, orders: 0, paid: 0, refunded: 0, gmv: 0, refundedAmount: 0).conversion.order == nil)
    }
}
