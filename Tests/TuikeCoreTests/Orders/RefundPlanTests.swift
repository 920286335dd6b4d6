import Testing
@testable import TuikeCore

/// Random orders refunded in random steps until nothing is left: each step spreads exactly its
/// amount over the lines, no line and no commission goes past what it had, every commission ends
/// reversed in full (clawed back once settled), and only the full refund revokes access.
@Suite struct RefundPlanTests {
    @Test func refundsInStepsReverseEverythingOnce() throws {
        var random = SplitMix(seed: 11)
        let now = Instant(milliseconds: 1_000_000)
        for _ in 0..<500 {
            var items = (0..<Int.random(in: 1...4, using: &random)).map { index in
                Order.Item(id: "itm_\(index)", productID: "prd", title: "t", kind: .course, unitPrice: 10_000, quantity: 1,
                           paid: Int64.random(in: 0...10_000, using: &random), rule: CommissionRule(type: .percent, levels: [1_000]), ruleSource: "product")
            }
            let amount = items.map(\.paid).reduce(0, +)
            guard amount > 0 else { continue }
            var order = Order(id: "ord_1", buyerID: "b", externalID: nil, status: .paid, amount: amount, visitorID: nil, clickID: nil, coupon: nil,
                              levelOne: ["prm_1"], levelTwo: nil, levelThree: nil, attributionRule: .lastClick, attributionClickID: nil,
                              selfReferral: false, createdAt: now, items: items)
            let statuses: [Commission.Status] = [.pending, .settled, .withdrawn, .rejected]
            var commissions = items.flatMap { item in
                (0..<Int.random(in: 0...3, using: &random)).map { n in
                    RefundPlan.Earned(id: "com_\(item.id)_\(n)", itemID: item.id, promoterID: "prm_\(n)", amount: Int64.random(in: 1...max(1, item.paid), using: &random),
                                      reversed: 0, status: statuses.randomElement(using: &random) ?? .pending)
                }
            }
            let initial = commissions
            while order.refundable > 0 {
                let step = Int64.random(in: 1...order.refundable, using: &random)
                #expect(order.refundRefusal(step) == nil)
                order.refunded += step
                order.status = order.refunded == order.amount ? .refunded : .partiallyRefunded
                order.items = items
                let plan = try RefundPlan(order: order, amount: step, refundID: nil, reason: nil, commissions: commissions, now: now)
                var spread: Int64 = 0
                for line in plan.lines {
                    let before = items.first { $0.id == line.itemID }?.refunded ?? 0
                    spread += line.refunded - before
                }
                #expect(spread == step)
                for (itemID, refunded) in plan.lines {
                    guard let index = items.firstIndex(where: { $0.id == itemID }) else { Issue.record("unknown line"); continue }
                    #expect(refunded <= items[index].paid)
                    items[index].refunded = refunded
                }
                #expect(plan.events.count == 1 + plan.reversals.count && plan.entries.count == 1 + plan.reversals.count)
                #expect(plan.revokesAccess == (order.status == .refunded))
                for reversal in plan.reversals {
                    guard let index = commissions.firstIndex(where: { $0.id == reversal.commissionID }) else { Issue.record("unknown commission"); continue }
                    let before = commissions[index]
                    #expect(reversal.reversed > before.reversed && reversal.reversed <= before.amount)
                    #expect(reversal.status == before.status || before.status.canMove(to: reversal.status))
                    commissions[index] = .init(id: before.id, itemID: before.itemID, promoterID: before.promoterID, amount: before.amount,
                                               reversed: reversal.reversed, status: reversal.status)
                }
            }
            for (start, end) in zip(initial, commissions) {
                switch start.status {
                case .rejected: #expect(end.reversed == 0 && end.status == .rejected)
                case .pending: #expect(end.reversed == end.amount && end.status == .reversed)
                default: #expect(end.reversed == end.amount && end.status == start.status)
                }
            }
        }
    }
}
