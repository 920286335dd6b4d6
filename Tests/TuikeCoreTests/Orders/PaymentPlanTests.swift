import Testing
@testable import TuikeCore

/// The payment plan over random orders, promoters and group outcomes: the journal balances (every
/// entry is checked when made), no line pays more than it was paid, only active promoters earn,
/// every commission has its event and accrual, and what a group outcome or a self-referral leaves
/// out is left out.
@Suite struct PaymentPlanTests {
    static func order(_ random: inout SplitMix, levelOne: [String], selfReferral: Bool, groupID: String?) -> Order {
        let items = (0..<Int.random(in: 1...4, using: &random)).map { index in
            let rule = CommissionRule(type: Bool.random(using: &random) ? .percent : .fixed,
                                      levels: (0..<Int.random(in: 1...3, using: &random)).map { _ in Int64.random(in: 0...10_000, using: &random) },
                                      tiers: Bool.random(using: &random) ? [.init(from: 1, rate: 500), .init(from: 3, rate: 9_000)] : nil,
                                      maxAmount: Bool.random(using: &random) ? Int64.random(in: 0...5_000, using: &random) : nil)
            let quantity = Int64.random(in: 1...5, using: &random)
            return Order.Item(id: "itm_\(index)", productID: "prd_\(index)", title: "t", kind: Bool.random(using: &random) ? .course : .physical,
                              unitPrice: 10_000, quantity: quantity, paid: Int64.random(in: 0...(10_000 * quantity), using: &random),
                              rule: rule, ruleSource: "product")
        }
        return Order(id: "ord_1", buyerID: "buyer", externalID: nil, status: .pendingPayment, amount: items.map(\.paid).reduce(0, +),
                     visitorID: nil, clickID: nil, coupon: nil, levelOne: levelOne, levelTwo: "prm_l2", levelThree: "prm_l3",
                     attributionRule: .lastClick, attributionClickID: nil, selfReferral: selfReferral,
                     createdAt: Instant(milliseconds: 1_000), items: items, groupID: groupID)
    }

    @Test func plansKeepTheRulesOverRandomPayments() throws {
        var random = SplitMix(seed: 7)
        let everyone = ["prm_a", "prm_b", "prm_c", "prm_l2", "prm_l3"]
        let now = Instant(milliseconds: 86_400_000)
        for _ in 0..<2_000 {
            let levelOne = Array(everyone.prefix(3).shuffled(using: &random).prefix(Int.random(in: 0...3, using: &random)))
            let selfReferral = Int.random(in: 0..<6, using: &random) == 0
            let group: PaymentPlan.GroupPayment = [.none, .none, .slotted(succeeded: true), .slotted(succeeded: false), .vanished].randomElement(using: &random)!
            let order = Self.order(&random, levelOne: levelOne, selfReferral: selfReferral, groupID: group == .none ? nil : "grp_1")
            let active = Dictionary(uniqueKeysWithValues: everyone.filter { _ in Bool.random(using: &random) }.map { ($0, Int64.random(in: 0...500, using: &random)) })
            let plan = try PaymentPlan(.init(order: order, paymentID: "pay", provider: "sandbox", active: active,
                                             monthOrderNumber: Int64.random(in: 1...5, using: &random), settings: .defaults, group: group, now: now))

            #expect(plan.order.status == .paid && plan.order.paidAt == now)
            #expect(plan.events.first == .orderPaid(orderID: "ord_1", paymentID: "pay", provider: "sandbox", amount: order.amount))
            #expect(plan.events.count == 1 + plan.commissions.count)
            for item in order.items {
                #expect(plan.commissions.filter { $0.itemID == item.id }.map(\.amount).reduce(0, +) <= item.paid)
            }
            #expect(plan.commissions.allSatisfy { active[$0.promoterID] != nil && $0.amount > 0 })
            let accrued = plan.entries.filter { $0.entry.kind == "commission_accrual" }.flatMap(\.entry.postings)
                .filter { if case .commissionExpense = $0.account { true } else { false } }.map(\.amount).reduce(0, +)
            #expect(accrued == plan.commissions.map(\.amount).reduce(0, +))
            if selfReferral || group == .vanished || levelOne.allSatisfy({ active[$0] == nil }) { #expect(plan.commissions.isEmpty) }
            #expect(plan.binding == (selfReferral || group == .vanished ? nil : levelOne.first))
            #expect(plan.refundsInFull == (group == .vanished))
            if group == .none {
                #expect(plan.courses == order.items.filter { $0.kind == .course }.map(\.productID))
            } else {
                #expect(plan.courses.isEmpty)
            }
            let frozen = now.adding(seconds: ProgramSettings.defaults.freezeDays * 86_400)
            let physical = Set(order.items.filter { $0.kind == .physical }.map(\.id))
            #expect(plan.commissions.allSatisfy {
                $0.eligibleAt == (physical.contains($0.itemID) ? GoodsFreeze.awaiting : group == .slotted(succeeded: false) ? PaymentPlan.awaitingGroup : frozen)
            })
        }
    }
}
