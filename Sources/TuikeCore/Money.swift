/// Money arithmetic of RULES.md §1. Amounts are Int64 minor units (fen), rates are basis points.
/// Intermediate products use Int128 so that no realistic amount can overflow.
public enum Money {
    public static let fullRate: Int64 = 10_000

    /// `amount * bps / 10000`, rounded half up (half away from zero for negative amounts).
    public static func rate(_ amount: Int64, bps: Int64) -> Int64 {
        roundedDivision(Int128(amount) * Int128(bps), by: Int128(fullRate))
    }

    /// The part of `total` that corresponds to `part` out of `whole`, rounded half up:
    /// `(total * part * 2 + whole) / (2 * whole)`.
    public static func share(_ total: Int64, part: Int64, whole: Int64) -> Int64 {
        precondition(whole > 0, "share of an empty whole")
        return roundedDivision(Int128(total) * Int128(part), by: Int128(whole))
    }

    static func roundedDivision(_ numerator: Int128, by denominator: Int128) -> Int64 {
        let magnitude = (abs(numerator) * 2 + denominator) / (2 * denominator)
        return Int64(numerator < 0 ? -magnitude : magnitude)
    }

    /// Formats fen as yuan with two decimals, for people (never parsed back).
    public static func format(_ amount: Int64) -> String {
        let sign = amount < 0 ? "-" : ""
        let magnitude = amount.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }
}
