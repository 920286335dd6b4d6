import Testing
@testable import TuikeCore

/// docs/rules.md §6 at the bracket edges: 800.00, 4,000.00, taxable 20,000.00 and 50,000.00.
@Suite struct LabourTaxTests {
    @Test(arguments: [
        (80_000, 0, 0),                  // 800.00: nothing
        (80_001, 1, 0),                  // 0.01 taxable → 0.002 → 0
        (80_003, 3, 1),                  // 0.03 × 20 % = 0.006 → 0.01
        (400_000, 320_000, 64_000),      // 4,000.00: 3,200.00 taxable, 640.00 tax
        (400_001, 320_001, 64_000),      // above 4,000.00: 80 %
        (2_500_000, 2_000_000, 400_000), // taxable exactly 20,000.00: 20 %
        (2_500_002, 2_000_002, 400_001), // just above: 30 % − 2,000.00
        (6_250_000, 5_000_000, 1_300_000), // taxable exactly 50,000.00
        (6_250_002, 5_000_002, 1_300_001), // just above: 40 % − 7,000.00
    ] as [(Int64, Int64, Int64)])
    func bracketsAtTheirEdges(gross: Int64, taxable: Int64, tax: Int64) {
        #expect(LabourTax.taxable(gross: gross) == taxable)
        #expect(LabourTax.tax(taxable: taxable) == tax)
        #expect(LabourTax.withheld(gross: gross, mode: .prcLabor) == tax)
        #expect(LabourTax.withheld(gross: gross, mode: .none) == 0)
    }

    @Test func taxNeverDecreasesAsGrossRises() {
        var previous: Int64 = 0
        for gross in stride(from: Int64(0), through: 8_000_000, by: 997) {
            let tax = LabourTax.withheld(gross: gross, mode: .prcLabor)
            #expect(tax >= previous && tax < gross || gross == 0)
            previous = tax
        }
    }
}
