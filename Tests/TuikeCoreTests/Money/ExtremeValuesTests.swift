import Testing
@testable import TuikeCore

/// The commission engine, coupons, refunds, tax and money arithmetic driven with values up to
/// Int64's bounds: nothing traps (a trap would stop the whole server), and the engine never pays
/// more than the line paid.
@Suite struct ExtremeValuesTests {
    static let edges: [Int64] = [.min, .min + 1, -1_000_000_007, -1, 0, 1, 2, 9_999, 10_000, 10_001, 1_000_000_007,
                                 Int64.max / 10_000, Int64.max / 2, .max - 1, .max]

    static func values(_ count: Int, seed: UInt64) -> [Int64] {
        var random = SplitMix(seed: seed)
        return edges + (0..<count).map { _ in
            // Mostly across the whole range, sometimes small, so both kinds of result are met.
            random.next() % 4 == 0 ? Int64.random(in: -100_000...100_000, using: &random) : Int64(bitPattern: random.next())
        }
    }

    @Test func moneyArithmeticNeverTraps() {
        let values = Self.values(200, seed: 1)
        for a in values {
            for b in values {
                _ = Money.rate(a, bps: b)
                _ = Money.share(a, part: b, whole: a)
                _ = Money.share(a, part: b, whole: .max)
                _ = Money.times(a, b)
                _ = Money.plus(a, b)
                _ = Money.total([a, b, a, b])
                _ = CommissionEngine.reversal(amount: a, linePaid: b, refundedTotal: a, reversedBefore: b)
            }
            _ = LabourTax.withheld(gross: a, mode: .prcLabor)
            _ = Instant(milliseconds: a).adding(seconds: a)
        }
        #expect(Money.times(.max, 3) == .max && Money.times(.min, 2) == .min && Money.plus(.max, 1) == .max)
        #expect(Money.rate(.max, bps: .max) == .max && Money.rate(.min, bps: .max) == .min)
        #expect(Money.share(7, part: 1, whole: 0) == 0)
        #expect(Money.exactTotal([.max, 1]) == nil && Money.exactTotal([.max - 1, 1]) == .max)
    }

    @Test func theEngineNeverTrapsNorPaysMoreThanThePaidLine() {
        let values = Self.values(60, seed: 2)
        var random = SplitMix(seed: 3)
        for rate in values {
            for paid in values where paid > 0 {
                let quantity = values[Int(random.next() % UInt64(values.count))]
                let bonus = values[Int(random.next() % UInt64(values.count))]
                for type in CommissionRule.Kind.allCases {
                    let rule = CommissionRule(type: type, levels: [rate, rate, rate], tiers: [.init(from: 1, rate: rate), .init(from: .max, rate: rate, type: .fixed)],
                                              maxAmount: random.next() % 2 == 0 ? nil : rate)
                    let line = CommissionEngine.Line(id: "l", productID: "p", quantity: quantity, paid: paid)
                    let result = CommissionEngine.commissions(
                        for: line, rule: rule,
                        beneficiaries: .init(levelOne: ["a", "b"], upline: ["c", "d"], rankBonusBps: bonus, monthOrderNumber: quantity))
                    #expect(result.allSatisfy { $0.amount > 0 })
                    #expect(Money.total(result.map(\.amount)) <= paid)
                    _ = CommissionEngine.retroactiveAdjustment(rule: rule, orders: [(line, rate), (line, bonus)], monthOrders: quantity, rankBonusBps: bonus)
                }
            }
        }
    }

    @Test func couponsAndRefundAllocationNeverTrap() {
        let values = Self.values(100, seed: 4)
        for value in values {
            for amount in values {
                for kind in Coupon.Kind.allCases {
                    let coupon = Coupon(code: "EDGE", kind: kind, value: value, minAmount: amount, usageLimit: value, used: amount)
                    _ = try? coupon.validate()
                    let discount = coupon.discount(on: amount)
                    #expect(discount <= amount)
                    _ = coupon.refusal(amount: amount, at: Instant(milliseconds: value))
                }
                let shares = RefundAllocation.allocate(total: amount, over: [value, amount, .max, 0])
                #expect(shares.count == 4)
            }
        }
        #expect(RefundAllocation.allocate(total: 10, over: [.max, .max, .max]) .reduce(0, +) == 10)
    }

    @Test func rulesWithExtremeValuesAreRefusedNotTrapped() {
        let values = Self.values(40, seed: 5)
        for a in values {
            for b in values {
                for type in CommissionRule.Kind.allCases {
                    let rule = CommissionRule(type: type, levels: [a, b, a], tiers: [.init(from: 1, rate: a), .init(from: b, rate: b)], maxAmount: b)
                    _ = try? rule.validate(maxTotalBps: a, maxRankBonusBps: b)
                }
                var settings = ProgramSettings()
                settings.levels = [a, b, b]
                _ = try? settings.validate()
                _ = try? Rank(id: "r", name: "n", metric: .paidOrders, threshold: a, bonusBps: b).validate(program: settings)
            }
        }
    }
}
