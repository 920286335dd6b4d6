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
    /// Reads yuan as people type them (`100`, `100.5`, `99.90`) into fen, without floating
    /// point; nil for anything else (more than two decimals, signs, letters, above 10^12 fen).
    public static func parse(_ text: String) -> Int64? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty, whole.count <= 10,
              whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber), let yuan = Int64(whole) else { return nil }
        var fen: Int64 = 0
        if parts.count == 2 {
            let decimals = parts[1]
            guard (1...2).contains(decimals.count), decimals.allSatisfy(\.isASCII), decimals.allSatisfy(\.isNumber),
                  let value = Int64(decimals) else { return nil }
            fen = decimals.count == 1 ? value * 10 : value
        }
        return yuan * 100 + fen
    }

    public static func format(_ amount: Int64) -> String {
        let sign = amount < 0 ? "-" : ""
        let magnitude = amount.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }
}
