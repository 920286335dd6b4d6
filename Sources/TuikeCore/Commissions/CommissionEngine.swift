/// Commissions of one paid order line (docs/rules.md §4). Pure: the caller supplies the resolved rule,
/// the attribution snapshot and the promoter's monthly order count.
public enum CommissionEngine {
    public struct Line: Equatable, Sendable {
        public let id: String
        public let productID: String
        public let quantity: Int64
        /// What the buyer paid for the line after discounts.
        public let paid: Int64

        public init(id: String, productID: String, quantity: Int64, paid: Int64) {
            self.id = id
            self.productID = productID
            self.quantity = quantity
            self.paid = paid
        }
    }

    /// Who stands at each level when the order is paid. `levelOne` holds several promoters only
    /// for linear attribution (earliest first); `upline` is level 2 and 3 of the first of them,
    /// nil where the promoter is missing or not active (that share is not passed upward).
    public struct Beneficiaries: Equatable, Sendable {
        public let levelOne: [String]
        public let upline: [String?]
        public let rankBonusBps: Int64
        /// The level-1 promoter's paid attributed orders this month, this order included.
        public let monthOrderNumber: Int64
        public let selfReferral: Bool

        public init(levelOne: [String], upline: [String?] = [], rankBonusBps: Int64 = 0, monthOrderNumber: Int64 = 1, selfReferral: Bool = false) {
            self.levelOne = levelOne
            self.upline = upline
            self.rankBonusBps = rankBonusBps
            self.monthOrderNumber = monthOrderNumber
            self.selfReferral = selfReferral
        }
    }

    public struct Commission: Equatable, Sendable {
        public let promoterID: String
        public let level: Int
        public let amount: Int64
        /// How the amount came about, for the promoter's detail view ("2000 bps of 50000").
        public let basis: String
    }

    public static func commissions(for line: Line, rule: CommissionRule, beneficiaries: Beneficiaries) -> [Commission] {
        guard !beneficiaries.selfReferral, !beneficiaries.levelOne.isEmpty, line.paid > 0 else { return [] }
        var remaining = line.paid
        var result: [Commission] = []

        func capped(_ amount: Int64) -> Int64 {
            let limited = rule.maxAmount.map { min(amount, $0) } ?? amount
            let granted = max(0, min(limited, remaining))
            remaining -= granted
            return granted
        }

        // Level 1, possibly split over several promoters (linear), remainder fen to the earliest.
        let (levelOneAmount, levelOneBasis) = levelOne(line: line, rule: rule, beneficiaries: beneficiaries)
        let levelOneTotal = capped(levelOneAmount)
        let shares = Attribution.linearSplit(levelOneTotal, into: beneficiaries.levelOne.count)
        for (promoter, share) in zip(beneficiaries.levelOne, shares) {
            result.append(Commission(promoterID: promoter, level: 1, amount: share, basis: levelOneBasis))
        }

        for (offset, rate) in rule.levels.dropFirst().enumerated() {
            let level = offset + 2
            guard offset < beneficiaries.upline.count, let promoter = beneficiaries.upline[offset] else { continue }
            let amount = capped(rule.type == .percent ? Money.rate(line.paid, bps: rate) : Money.times(rate, line.quantity))
            result.append(Commission(promoterID: promoter, level: level, amount: amount, basis: basis(rule.type, rate, line)))
        }
        return result.filter { $0.amount > 0 }
    }

    static func levelOne(line: Line, rule: CommissionRule, beneficiaries: Beneficiaries) -> (Int64, String) {
        let tier = rule.tier(forOrder: beneficiaries.monthOrderNumber)
        let type = tier?.type ?? rule.type
        let base = tier?.rate ?? rule.levels.first ?? 0
        switch type {
        case .percent:
            let rate = Money.plus(base, beneficiaries.rankBonusBps)
            return (Money.rate(line.paid, bps: rate), basis(.percent, rate, line))
        case .fixed:
            return (Money.times(base, line.quantity), basis(.fixed, base, line))
        }
    }

    static func basis(_ type: CommissionRule.Kind, _ rate: Int64, _ line: Line) -> String {
        type == .percent ? "\(rate) bps of \(line.paid)" : "\(rate) × \(line.quantity)"
    }

    /// Retroactive ladders: at month close every order of the month is paid at the tier reached by
    /// the month's last order; returns the one adjustment to book (never negative: the ladder only
    /// rises, and earlier orders were paid at lower or equal tiers). `monthOrders` is the
    /// promoter's count of paid attributed orders that month, by default the orders given.
    public static func retroactiveAdjustment(rule: CommissionRule, orders: [(line: Line, earned: Int64)], monthOrders: Int64? = nil,
                                             rankBonusBps: Int64 = 0) -> Int64 {
        let count = monthOrders ?? Int64(orders.count)
        let final = Beneficiaries(levelOne: ["_"], rankBonusBps: rankBonusBps, monthOrderNumber: count)
        let owed = Money.total(orders.map { order in
            let (amount, _) = levelOne(line: order.line, rule: rule, beneficiaries: final)
            let limited = rule.maxAmount.map { min(amount, $0) } ?? amount
            return max(0, min(limited, order.line.paid))
        })
        return max(0, Money.minus(owed, Money.total(orders.map(\.earned))))
    }

    /// docs/rules.md §8: after refunds totalling `refunded` of a line that paid `linePaid`, a commission
    /// of `amount` is reversed by `share(amount, refunded, linePaid)` in all; returns what this
    /// refund reverses, given what earlier refunds reversed.
    public static func reversal(amount: Int64, linePaid: Int64, refundedTotal: Int64, reversedBefore: Int64) -> Int64 {
        let cumulative = refundedTotal >= linePaid ? amount : Money.share(amount, part: refundedTotal, whole: linePaid)
        return Money.minus(cumulative, reversedBefore)
    }
}

/// Spreads one order-level refund over the lines in proportion to what each has left to refund
/// (docs/rules.md §8): exact quotas rounded down, the fen left over to the largest remainders. Every
/// share is between 0 and what its line has left, and the shares add up to the refund. The
/// commission reversals then follow each line's cumulative refund, so rounding never drifts.
public enum RefundAllocation {
    public static func allocate(total: Int64, over paid: [Int64]) -> [Int64] {
        // Paid amounts are never negative; a negative one (never stored) counts as nothing left.
        let paid = paid.map { max(0, $0) }
        let whole = paid.reduce(Int128(0)) { $0 + Int128($1) }
        guard whole > 0, total > 0 else { return paid.map { _ in 0 } }
        let capped = min(Int128(total), whole)
        // Each quota is at most its line's amount, so the shares and what is left fit in Int64.
        let quotas = paid.map { Int128($0) * capped }
        var shares = quotas.map { Int64(clamping: $0 / whole) }
        var left = Int64(clamping: capped - shares.reduce(Int128(0)) { $0 + Int128($1) })
        let byRemainder = quotas.indices.sorted { (quotas[$0] % whole, -$0) > (quotas[$1] % whole, -$1) }
        for index in byRemainder where left > 0 && quotas[index] % whole != 0 {
            shares[index] += 1
            left -= 1
        }
        return shares
    }
}
