/// Money arithmetic of docs/rules.md §1. Amounts are Int64 minor units (fen), rates are basis points.
/// Intermediate products use Int128, and nothing here traps on any input: a result beyond Int64
/// is held at Int64's bounds (`Int64(clamping:)`). The API's maximums keep every value it accepts
/// far from those bounds, so clamping only ever meets a value stored before a maximum existed,
/// and the commission engine then caps it to what the buyer paid anyway.
public enum Money {
    public static let fullRate: Int64 = 10_000
    /// The largest amount any single money field of the API takes (10^12 fen, ten billion yuan):
    /// coupon values and minimums, caps, refunds, withdrawals. Prices have their own, lower one.
    public static let maxAmount: Int64 = 1_000_000_000_000

    /// `amount * bps / 10000`, rounded half up (half away from zero for negative amounts).
    public static func rate(_ amount: Int64, bps: Int64) -> Int64 {
        roundedDivision(Int128(amount) * Int128(bps), by: Int128(fullRate))
    }

    /// The part of `total` that corresponds to `part` out of `whole`, rounded half up:
    /// `(total * part * 2 + whole) / (2 * whole)`.
    /// The share of an empty (or negative) whole is 0.
    public static func share(_ total: Int64, part: Int64, whole: Int64) -> Int64 {
        guard whole > 0 else { return 0 }
        return roundedDivision(Int128(total) * Int128(part), by: Int128(whole))
    }

    /// `amount × count` (a fixed amount per unit), held at Int64's bounds.
    public static func times(_ amount: Int64, _ count: Int64) -> Int64 {
        Int64(clamping: Int128(amount) * Int128(count))
    }

    /// `a + b`, held at Int64's bounds.
    public static func plus(_ a: Int64, _ b: Int64) -> Int64 {
        Int64(clamping: Int128(a) + Int128(b))
    }

    /// `a − b`, held at Int64's bounds (`-b` alone traps for Int64.min).
    public static func minus(_ a: Int64, _ b: Int64) -> Int64 {
        Int64(clamping: Int128(a) - Int128(b))
    }

    /// The sum of `amounts`, held at Int64's bounds (Int128 holds the sum of 2^64 Int64 values).
    public static func total<S: Sequence>(_ amounts: S) -> Int64 where S.Element == Int64 {
        Int64(clamping: amounts.reduce(Int128(0)) { $0 + Int128($1) })
    }

    /// The sum of `amounts`, or nil when it does not fit in Int64: for totals that are stored or
    /// charged, where a clamped figure would be a wrong one.
    public static func exactTotal<S: Sequence>(_ amounts: S) -> Int64? where S.Element == Int64 {
        Int64(exactly: amounts.reduce(Int128(0)) { $0 + Int128($1) })
    }

    /// `numerator / denominator` rounded half away from zero; `denominator` must be positive and
    /// at most Int64.max (every caller divides by an Int64), so twice a remainder fits.
    static func roundedDivision(_ numerator: Int128, by denominator: Int128) -> Int64 {
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        let rounded = remainder.magnitude * 2 >= denominator.magnitude ? quotient + (numerator < 0 ? -1 : 1) : quotient
        return Int64(clamping: rounded)
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
