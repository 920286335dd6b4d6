/// A coupon: a fixed amount or a percentage off the order, optionally a promoter's, which
/// then also attributes the order to that promoter (docs/rules.md §3, rule 2).
public struct Coupon: Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case fixed, percent }

    public let code: String
    public let kind: Kind
    /// Fen off for `fixed`, bps off for `percent`.
    public let value: Int64
    public let promoterID: String?
    public let minAmount: Int64
    public let startsAt: Instant?
    public let endsAt: Instant?
    public let usageLimit: Int64?
    public let used: Int64

    public init(code: String, kind: Kind, value: Int64, promoterID: String? = nil, minAmount: Int64 = 0, startsAt: Instant? = nil,
                endsAt: Instant? = nil, usageLimit: Int64? = nil, used: Int64 = 0) {
        self.code = code
        self.kind = kind
        self.value = value
        self.promoterID = promoterID
        self.minAmount = minAmount
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.usageLimit = usageLimit
        self.used = used
    }

    public static let maxUsageLimit: Int64 = 1_000_000_000

    public static func normalize(_ code: String) -> String { code.trimmingCharacters(in: .whitespaces).uppercased() }

    public func validate() throws(TuikeError) {
        if !(3...32).contains(code.count) || !code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            throw .validation("code must be 3 to 32 letters, digits, - or _")
        }
        switch kind {
        case .fixed where !(1...Money.maxAmount).contains(value): throw .validation("a fixed coupon takes 1 to \(Money.maxAmount) fen off")
        case .percent where !(1...Money.fullRate).contains(value): throw .validation("a percent coupon takes 1 to 10000 bps off")
        default: break
        }
        if !(0...Money.maxAmount).contains(minAmount) { throw .validation("min_amount must be between 0 and \(Money.maxAmount) fen") }
        if let usageLimit, !(1...Self.maxUsageLimit).contains(usageLimit) { throw .validation("usage_limit must be between 1 and \(Self.maxUsageLimit)") }
        if let startsAt, let endsAt, endsAt <= startsAt { throw .validation("ends_at must be after starts_at") }
    }

    /// The discount on an order of `amount` fen, never more than the order.
    public func discount(on amount: Int64) -> Int64 {
        min(amount, kind == .fixed ? value : Money.rate(amount, bps: value))
    }

    /// Why the coupon cannot be used now on this amount, if it cannot.
    public func refusal(amount: Int64, at now: Instant) -> String? {
        if let startsAt, now < startsAt { return "coupon \(code) is not valid yet" }
        if let endsAt, now >= endsAt { return "coupon \(code) has expired" }
        if amount < minAmount { return "coupon \(code) needs an order of at least \(minAmount) fen" }
        if let usageLimit, used >= usageLimit { return "coupon \(code) has been used up" }
        return nil
    }
}
