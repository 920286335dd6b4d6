import Testing
@testable import TuikeCore

@Suite struct CommissionEngineTests {
    typealias Engine = CommissionEngine
    static let course = Engine.Line(id: "line", productID: "prod", quantity: 1, paid: 50_000)

    /// docs/rules.md §4 worked example: levels [2000, 500], a 500.00 course sold by B (parent A).
    @Test func theWorkedExampleOfTheRules() {
        let rule = CommissionRule(type: .percent, levels: [2000, 500])
        let result = Engine.commissions(for: Self.course, rule: rule, beneficiaries: .init(levelOne: ["B"], upline: ["A"]))
        #expect(result.map(\.promoterID) == ["B", "A"])
        #expect(result.map(\.amount) == [10_000, 2_500])
        #expect(result.map(\.level) == [1, 2])
        // A refund of 20000 reverses 4000 of B's and 1000 of A's.
        #expect(Engine.reversal(amount: 10_000, linePaid: 50_000, refundedTotal: 20_000, reversedBefore: 0) == 4_000)
        #expect(Engine.reversal(amount: 2_500, linePaid: 50_000, refundedTotal: 20_000, reversedBefore: 0) == 1_000)
    }

    @Test func aMissingOrInactiveLevelIsNotPaidAndNotPassedUp() {
        let rule = CommissionRule(type: .percent, levels: [2000, 500, 300])
        let result = Engine.commissions(for: Self.course, rule: rule, beneficiaries: .init(levelOne: ["C"], upline: [nil, "A"]))
        #expect(result.map(\.promoterID) == ["C", "A"])
        #expect(result.map(\.level) == [1, 3])
        #expect(result.map(\.amount) == [10_000, 1_500])
    }

    @Test func selfReferralPaysNobody() {
        let rule = CommissionRule(type: .percent, levels: [2000, 500])
        #expect(Engine.commissions(for: Self.course, rule: rule, beneficiaries: .init(levelOne: ["B"], upline: ["A"], selfReferral: true)).isEmpty)
        #expect(Engine.commissions(for: Self.course, rule: rule, beneficiaries: .init(levelOne: [])).isEmpty)
    }

    @Test func fixedRulesPayPerUnitAndCapsHold() {
        let rule = CommissionRule(type: .fixed, levels: [3_000, 1_000], maxAmount: 5_000)
        let line = Engine.Line(id: "l", productID: "p", quantity: 3, paid: 30_000)
        let result = Engine.commissions(for: line, rule: rule, beneficiaries: .init(levelOne: ["B"], upline: ["A"]))
        #expect(result.map(\.amount) == [5_000, 3_000])
    }

    @Test func theRankBonusAddsToLevelOneOfPercentRulesOnly() {
        let percent = CommissionRule(type: .percent, levels: [2000, 500])
        #expect(Engine.commissions(for: Self.course, rule: percent, beneficiaries: .init(levelOne: ["B"], upline: ["A"], rankBonusBps: 300)).map(\.amount)
                == [11_500, 2_500])
        let fixed = CommissionRule(type: .fixed, levels: [1_000])
        #expect(Engine.commissions(for: Self.course, rule: fixed, beneficiaries: .init(levelOne: ["B"], rankBonusBps: 300)).map(\.amount) == [1_000])
    }

    /// The seed ladder: orders 1–5 earn 100.00, 6–10 earn 120.00, the 11th on 12 %.
    @Test func perOrderTiersFollowTheMonthsOrderCount() {
        let rule = CommissionRule(type: .fixed, levels: [10_000], tiers: [
            .init(from: 1, rate: 10_000), .init(from: 6, rate: 12_000), .init(from: 11, rate: 1_200, type: .percent),
        ])
        let line = Engine.Line(id: "l", productID: "p", quantity: 1, paid: 200_000)
        let amounts = (1...12).map { n in
            Engine.commissions(for: line, rule: rule, beneficiaries: .init(levelOne: ["B"], monthOrderNumber: Int64(n)))[0].amount
        }
        #expect(amounts == [10_000, 10_000, 10_000, 10_000, 10_000, 12_000, 12_000, 12_000, 12_000, 12_000, 24_000, 24_000])
    }

    @Test func retroactiveTiersPayTheDifferenceAtMonthEnd() {
        let rule = CommissionRule(type: .fixed, levels: [10_000], tiers: [.init(from: 1, rate: 10_000), .init(from: 6, rate: 12_000)], tierMode: .retroactive)
        let line = Engine.Line(id: "l", productID: "p", quantity: 1, paid: 50_000)
        let earned = (1...7).map { _ in (line: line, earned: Int64(10_000)) }
        #expect(Engine.retroactiveAdjustment(rule: rule, orders: earned) == 7 * 2_000)
        #expect(Engine.retroactiveAdjustment(rule: rule, orders: Array(earned.prefix(5))) == 0)
    }

    @Test func linearSplitsLevelOneWithTheRemainderToTheEarliest() {
        let rule = CommissionRule(type: .percent, levels: [2000, 500])
        let line = Engine.Line(id: "l", productID: "p", quantity: 1, paid: 50_005)
        let result = Engine.commissions(for: line, rule: rule, beneficiaries: .init(levelOne: ["X", "Y", "Z"], upline: ["A"]))
        #expect(result.map(\.promoterID) == ["X", "Y", "Z", "A"])
        #expect(result.map(\.amount) == [3_334, 3_334, 3_333, 2_500])
    }

    /// Property: for random lines and rules, commissions never exceed the line paid, and for any
    /// sequence of partial refunds the reversals add up to exactly the commission once fully
    /// refunded, never more before.
    @Test func commissionsAndReversalsStayWithinTheirBounds() {
        var generator = SplitMix(seed: 42)
        for _ in 0..<2_000 {
            let type: CommissionRule.Kind = generator.next(3) == 0 ? .fixed : .percent
            let levels = (0..<(1 + generator.next(3))).map { _ in type == .percent ? Int64(generator.next(10_001)) : Int64(generator.next(100_000)) }
            let rule = CommissionRule(type: type, levels: levels, maxAmount: generator.next(4) == 0 ? Int64(generator.next(20_000)) : nil)
            let line = Engine.Line(id: "l", productID: "p", quantity: Int64(1 + generator.next(5)), paid: Int64(generator.next(1_000_000)))
            let commissions = Engine.commissions(for: line, rule: rule, beneficiaries: .init(
                levelOne: (0..<(1 + generator.next(3))).map { "L\($0)" }, upline: ["A", "B"], rankBonusBps: Int64(generator.next(500))))
            #expect(commissions.reduce(0) { $0 + $1.amount } <= line.paid)
            #expect(commissions.allSatisfy { $0.amount > 0 })
            guard line.paid > 0 else { continue }
            for commission in commissions {
                var refunded: Int64 = 0
                var reversed: Int64 = 0
                while refunded < line.paid {
                    refunded = min(line.paid, refunded + Int64(1 + generator.next(Int(line.paid))))
                    let delta = Engine.reversal(amount: commission.amount, linePaid: line.paid, refundedTotal: refunded, reversedBefore: reversed)
                    #expect(delta >= 0)
                    reversed += delta
                    #expect(reversed <= commission.amount)
                }
                #expect(reversed == commission.amount)
            }
        }
    }
}

@Suite struct CommissionRuleTests {
    @Test func campaignsBeatProductRulesWhichBeatTheProgram() {
        let program = CommissionRule(type: .percent, levels: [2000, 500])
        let product = CommissionRule(type: .percent, levels: [2500])
        let all = CampaignRule(id: "all", productID: nil, startsAt: Instant(milliseconds: 100), endsAt: Instant(milliseconds: 200),
                               rule: CommissionRule(type: .percent, levels: [3000]))
        let one = CampaignRule(id: "one", productID: "p", startsAt: Instant(milliseconds: 150), endsAt: Instant(milliseconds: 300),
                               rule: CommissionRule(type: .percent, levels: [4000]))
        func source(_ at: Int64, product productRule: CommissionRule? = product) -> RuleSource {
            RuleResolution.resolve(productID: "p", at: Instant(milliseconds: at), campaigns: [all, one], productRule: productRule, programDefault: program).source
        }
        #expect(source(99) == .product)
        #expect(source(100) == .campaign("all"))
        #expect(source(150) == .campaign("one"))
        #expect(source(299) == .campaign("one"))
        #expect(source(300) == .product)
        #expect(source(300, product: nil) == .program)
    }

    @Test func complianceGuardsApplyToRules() {
        #expect(throws: Never.self) { try CommissionRule(type: .percent, levels: [2000, 500]).validate(maxTotalBps: 5000) }
        #expect(throws: TuikeError.self) { try CommissionRule(type: .percent, levels: [100, 100, 100, 100]).validate(maxTotalBps: 5000) }
        #expect(throws: TuikeError.self) { try CommissionRule(type: .percent, levels: [4000, 1001]).validate(maxTotalBps: 5000) }
        // A tier above the cap, or a rank bonus that would push level 1 over it, is refused too.
        let tiered = CommissionRule(type: .percent, levels: [2000, 500], tiers: [.init(from: 1, rate: 2000), .init(from: 6, rate: 4600)])
        #expect(throws: TuikeError.self) { try tiered.validate(maxTotalBps: 5000) }
        #expect(throws: TuikeError.self) { try CommissionRule(type: .percent, levels: [4000, 500]).validate(maxTotalBps: 5000, maxRankBonusBps: 600) }
        #expect(throws: TuikeError.self) { try CommissionRule(type: .fixed, levels: [100], tiers: [.init(from: 2, rate: 1)]).validate(maxTotalBps: 5000) }
    }
}


@Suite struct RefundAllocationTests {
    @Test func proportionalWithoutDrift() {
        #expect(RefundAllocation.allocate(total: 20_000, over: [50_000]) == [20_000])
        #expect(RefundAllocation.allocate(total: 100, over: [1, 1, 1]) == [1, 1, 1])
        #expect(RefundAllocation.allocate(total: 2, over: [1, 1, 1]) == [1, 1, 0])
        #expect(RefundAllocation.allocate(total: 10_000, over: [30_000, 10_000]) == [7_500, 2_500])
        var generator = SplitMix(seed: 7)
        for _ in 0..<2_000 {
            let paid = (0..<(1 + generator.next(5))).map { _ in Int64(generator.next(100_000)) }
            var refunded = paid.map { _ in Int64(0) }
            while refunded != paid {
                let left = zip(paid, refunded).map { $0 - $1 }
                let refund = min(left.reduce(0, +), Int64(1 + generator.next(Int(left.reduce(0, +)))))
                let shares = RefundAllocation.allocate(total: refund, over: left)
                #expect(shares.reduce(0, +) == refund)
                #expect(zip(shares, left).allSatisfy { $0 >= 0 && $0 <= $1 })
                refunded = zip(refunded, shares).map { $0 + $1 }
            }
        }
    }
}

@Suite struct RankTests {
    static let ranks = [
        Rank(id: "silver", name: "银牌", metric: .paidOrders, threshold: 5, bonusBps: 200),
        Rank(id: "gold", name: "金牌", metric: .gmv, threshold: 1_000_000, bonusBps: 500),
        Rank(id: "base", name: "普通", metric: .paidOrders, threshold: 0, bonusBps: 0),
    ]

    @Test func theBestQualifyingRankWins() {
        #expect(Rank.choose(from: Self.ranks, paidOrders: 0, gmv: 0)?.id == "base")
        #expect(Rank.choose(from: Self.ranks, paidOrders: 4, gmv: 999_999)?.id == "base")
        #expect(Rank.choose(from: Self.ranks, paidOrders: 5, gmv: 0)?.id == "silver")
        #expect(Rank.choose(from: Self.ranks, paidOrders: 5, gmv: 1_000_000)?.id == "gold")
        #expect(Rank.choose(from: [], paidOrders: 100, gmv: 100) == nil)
    }

    @Test func aBonusMayNotBreakTheRateCap() {
        var program = ProgramSettings.defaults
        program.levels = [2000, 500]
        #expect(throws: Never.self) { try Rank(id: "r", name: "金牌", metric: .gmv, threshold: 1, bonusBps: 2500).validate(program: program) }
        #expect(throws: TuikeError.self) { try Rank(id: "r", name: "金牌", metric: .gmv, threshold: 1, bonusBps: 2501).validate(program: program) }
        #expect(throws: TuikeError.self) { try Rank(id: "r", name: " ", metric: .gmv, threshold: 1, bonusBps: 1).validate(program: program) }
    }
}

@Suite struct CouponTests {
    @Test func discountsAndLimits() {
        let tenOff = Coupon(code: "WELCOME10", kind: .fixed, value: 1_000, minAmount: 5_000, usageLimit: 2, used: 1)
        #expect(tenOff.discount(on: 50_000) == 1_000)
        #expect(tenOff.discount(on: 500) == 500)
        #expect(tenOff.refusal(amount: 4_999, at: Instant(milliseconds: 0)) != nil)
        #expect(tenOff.refusal(amount: 5_000, at: Instant(milliseconds: 0)) == nil)
        #expect(Coupon(code: "X12", kind: .fixed, value: 1, usageLimit: 1, used: 1).refusal(amount: 10, at: Instant(milliseconds: 0)) != nil)
        let percent = Coupon(code: "HALF", kind: .percent, value: 5_000, startsAt: Instant(milliseconds: 10), endsAt: Instant(milliseconds: 20))
        #expect(percent.discount(on: 333) == 167)
        #expect(percent.refusal(amount: 1, at: Instant(milliseconds: 9)) != nil)
        #expect(percent.refusal(amount: 1, at: Instant(milliseconds: 10)) == nil)
        #expect(percent.refusal(amount: 1, at: Instant(milliseconds: 20)) != nil)
        #expect(throws: TuikeError.self) { try Coupon(code: "no spaces", kind: .fixed, value: 1).validate() }
        #expect(throws: TuikeError.self) { try Coupon(code: "OK1", kind: .percent, value: 10_001).validate() }
    }
}
