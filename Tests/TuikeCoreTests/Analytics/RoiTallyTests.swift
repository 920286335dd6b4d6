import Testing
@testable import TuikeCore

@Suite struct RoiTallyTests {
    /// Random cohorts of multi-line orders, split by order into random parts (the days of a span):
    /// the parts' tallies add up to the whole's, every grouping's rows add up to its total but for
    /// the distinct orders, and the figures are what a plain walk over the lines says.
    @Test(arguments: [3, 17, 2_026])
    func partsAddUpToTheWhole(seed: UInt64) {
        var random = SplitMix(seed: seed)
        for _ in 0..<50 {
            var orders: [[RoiTally.Line]] = []
            for number in 0..<(1 + random.next(60)) {
                let promoter = random.next(4) == 0 ? nil : "prm_\(random.next(5))"
                let selfReferral = promoter != nil && random.next(6) == 0
                orders.append((0..<(1 + random.next(3))).map { _ in
                    let paid = Int64(random.next(50_000))
                    return RoiTally.Line(orderID: "ord_\(number)", promoterID: promoter, selfReferral: selfReferral, productID: "prd_\(random.next(4))",
                                         ruleSource: ["campaign:cmp_1", "campaign:cmp_2", "product", nil][random.next(4)], paid: paid,
                                         refunded: Int64(random.next(Int(paid) + 1)), commission: Int64(random.next(3_000)))
                })
            }
            let whole = RoiTally(lines: orders.flatMap { $0 })
            var parts = [[RoiTally.Line]](repeating: [], count: 1 + random.next(4))
            for order in orders { parts[random.next(parts.count)] += order }
            var added = RoiTally()
            for part in parts { added.add(RoiTally(lines: part)) }
            #expect(added == whole)

            let lines = orders.flatMap { $0 }
            for grouping in RoiTally.Grouping.allCases {
                let rows = whole.groups[grouping] ?? [:]
                let total = whole.totals[grouping] ?? RoiFigures()
                let mine = lines.filter { RoiTally.key(of: $0, by: grouping) != nil }
                #expect(total.orders == Int64(Set(mine.map(\.orderID)).count))
                #expect(total.gmv == mine.reduce(0) { $0 + $1.paid } && total.refunded == mine.reduce(0) { $0 + $1.refunded })
                #expect(total.commission == mine.reduce(0) { $0 + $1.commission })
                #expect(total.through == mine.filter { $0.promoterID != nil && !$0.selfReferral }.reduce(0) { $0 + $1.paid })
                #expect(rows.values.reduce(0) { $0 + $1.gmv } == total.gmv && rows.values.reduce(0) { $0 + $1.commission } == total.commission)
                for (key, figures) in rows {
                    let group = mine.filter { RoiTally.key(of: $0, by: grouping) == key }
                    #expect(figures.orders == Int64(Set(group.map(\.orderID)).count), "\(grouping) \(key)")
                }
            }
            #expect((whole.groups[.campaign] ?? [:]).keys.allSatisfy { $0.hasPrefix("campaign:") })
            #expect(whole.totals[.product] == whole.totals[.promoter])
        }
    }

    /// Cost per order rounds half up; no orders or no GMV give no figure rather than a division by zero.
    @Test func derivedFigures() {
        #expect(RoiFigures(orders: 2, gmv: 100, commission: 3, through: 50).costPerOrder == 2)
        #expect(RoiFigures(orders: 3, gmv: 3, commission: 4, through: 1).promoterShareBps == 3_333)
        #expect(RoiFigures().costPerOrder == nil && RoiFigures().promoterShareBps == nil)
        #expect(RoiTally(lines: []) == RoiTally())
    }
}
