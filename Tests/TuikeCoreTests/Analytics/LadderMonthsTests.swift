import Testing
@testable import TuikeCore

/// The simulator's month-end adjustments (`LadderMonths`) against the close's own arithmetic.
@Suite struct LadderMonthsTests {
    static let ladder = CommissionRule(type: .percent, levels: [1000], tiers: [.init(from: 1, rate: 1000), .init(from: 3, rate: 2000)], tierMode: .retroactive)

    /// Three 100.00 lines earn 10 + 10 + 20 at payment. With the close's count (3) and no refunds,
    /// 20.00 is owed; a 50.00 refund the close saw on the first line leaves 5 of 10 earned and
    /// 10 owed on it (+5 less); refunds made after the close (today's figures) change nothing
    /// when the close kept its inputs, and count when it did not.
    @Test func adjustmentsFollowWhatTheCloseSaw() {
        var months = LadderMonths()
        let inputs = CommissionInputs(active: ["B": 0, "A": 0], monthOrderNumber: 1)
        for (index, (earned, refunded)) in [(Int64(1_000), Int64(5_000)), (1_000, 0), (2_000, 0)].enumerated() {
            let item = AnalyticsCoreTests.item("itm_\(index)", product: "prd", paid: 10_000, refunded: refunded, rule: Self.ladder)
            months.add(AnalyticsCoreTests.order([item]), month: 0, paidAt: Int64(index), inputs: inputs,
                       simulated: [.init(itemID: item.id, promoterID: "B", level: 1, amount: earned), .init(itemID: item.id, promoterID: "A", level: 2, amount: 500)],
                       rules: [item.id: Self.ladder])
        }
        let key = LadderMonths.Key(promoterID: "B", month: 0)
        #expect(months.keys == [key])
        let clean = (0..<3).reduce(into: [String: LadderMonths.LineClose]()) { $0["itm_\($1)"] = .init(refunded: 0, excluded: false) }
        let close = LadderMonths.Close(monthOrders: 3, bonusBps: 0)
        #expect(months.adjustment(key, close: close, lines: clean, countNow: 0) == 2_000)
        var refunded = clean
        refunded["itm_0"] = .init(refunded: 5_000, excluded: false)
        #expect(months.adjustment(key, close: close, lines: refunded, countNow: 0) == 1_500)
        // Closed before inputs were kept: today's refunds and count.
        #expect(months.adjustment(key, close: nil, lines: [:], countNow: 3) == 1_500)
        #expect(months.adjustment(key, close: nil, lines: [:], countNow: 2) == 0)
        // A line the close left out, and a bonus the close saw (+300 bps on every line owed).
        refunded["itm_1"] = .init(refunded: 0, excluded: true)
        #expect(months.adjustment(key, close: close, lines: refunded, countNow: 0) == 500)
        #expect(months.adjustment(key, close: .init(monthOrders: 3, bonusBps: 300), lines: clean, countNow: 0) == 2_900)
        // Lines split between promoters, or under a rule that is not retroactive, are not gathered.
        var other = LadderMonths()
        let split = AnalyticsCoreTests.item("itm_s", product: "prd", paid: 10_000, rule: Self.ladder)
        other.add(AnalyticsCoreTests.order([split], levelOne: ["B", "C"]), month: 0, paidAt: 0, inputs: inputs,
                  simulated: [.init(itemID: split.id, promoterID: "B", level: 1, amount: 500), .init(itemID: split.id, promoterID: "C", level: 1, amount: 500)],
                  rules: [split.id: Self.ladder])
        other.add(AnalyticsCoreTests.order([split]), month: 0, paidAt: 0, inputs: inputs, simulated: [.init(itemID: split.id, promoterID: "B", level: 1, amount: 500)],
                  rules: [split.id: AnalyticsCoreTests.program])
        #expect(other.keys.isEmpty)
    }
}
