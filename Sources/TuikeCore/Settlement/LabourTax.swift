/// PRC labour-remuneration withholding (劳务报酬预扣, docs/rules.md §6) on one promoter's gross amount in
/// one settlement batch. All amounts in fen, every multiplication rounded half up.
public enum LabourTax {
    public static func taxable(gross: Int64) -> Int64 {
        if gross <= 80_000 { return 0 }
        if gross <= 400_000 { return gross - 80_000 }
        return Money.rate(gross, bps: 8_000)
    }

    public static func tax(taxable: Int64) -> Int64 {
        if taxable <= 0 { return 0 }
        if taxable <= 2_000_000 { return Money.rate(taxable, bps: 2_000) }
        if taxable <= 5_000_000 { return Money.rate(taxable, bps: 3_000) - 200_000 }
        return Money.rate(taxable, bps: 4_000) - 700_000
    }

    public static func withheld(gross: Int64, mode: ProgramSettings.TaxMode) -> Int64 {
        mode == .prcLabor ? tax(taxable: taxable(gross: gross)) : 0
    }
}
