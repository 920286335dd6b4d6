import Testing
@testable import TuikeCore

@Suite struct MoneyTests {
    @Test(arguments: [
        (50_000, 2_000, 10_000), // docs/rules.md §4: 500.00 at 20 %
        (50_000, 500, 2_500),
        (1, 5_000, 1),           // 0.5 fen rounds half up
        (1, 4_999, 0),
        (3, 3_333, 1),           // 0.9999 fen
        (15, 1_000, 2),          // 1.5 fen
        (0, 2_000, 0),
        (-15, 1_000, -2),        // negative amounts round half away from zero
    ] as [(Int64, Int64, Int64)])
    func rateRoundsHalfUp(amount: Int64, bps: Int64, expected: Int64) {
        #expect(Money.rate(amount, bps: bps) == expected)
    }

    @Test func rateMatchesTheFormulaOfTheRules() {
        for amount in stride(from: Int64(0), through: 20_000, by: 7) {
            for bps in stride(from: Int64(0), through: 10_000, by: 113) {
                #expect(Money.rate(amount, bps: bps) == (amount * bps + 5_000) / 10_000)
            }
        }
    }

    @Test func shareMatchesTheFormulaOfTheRules() {
        // docs/rules.md §4: refunding 20000 of 50000 reverses 4000 of 10000 and 1000 of 2500.
        #expect(Money.share(10_000, part: 20_000, whole: 50_000) == 4_000)
        #expect(Money.share(2_500, part: 20_000, whole: 50_000) == 1_000)
        for total in stride(from: Int64(0), through: 3_000, by: 37) {
            for part in stride(from: Int64(0), through: 999, by: 29) {
                let whole: Int64 = 999
                #expect(Money.share(total, part: part, whole: whole) == (total * part * 2 + whole) / (2 * whole))
            }
        }
    }

    @Test func largeAmountsDoNotOverflow() {
        #expect(Money.rate(Int64.max / 2, bps: 10_000) == Int64.max / 2)
        #expect(Money.share(Int64.max / 4, part: 3, whole: 3) == Int64.max / 4)
    }

    @Test func formatsYuan() {
        #expect(Money.format(39_900) == "399.00")
        #expect(Money.format(5) == "0.05")
        #expect(Money.format(-1_234) == "-12.34")
    }
}
