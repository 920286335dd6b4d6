/// Retroactive ladders in the plan simulator: the month-end adjustments a draft would have booked
/// for the closed months a simulation spans whole. The lines are gathered as the orders are
/// replayed (each with the amount the draft pays it at payment); the adjustment of each promoter's
/// month and draft rule is then computed by the live month close's own function
/// (`CommissionEngine.retroactiveAdjustment`), with what the close saw: the promoter's counted
/// orders of the month, its rank bonus then, and each line's refunds then (`Close`).
public struct LadderMonths: Sendable {
    /// What the live month close saw for one promoter's month, kept when it closed.
    public struct Close: Sendable, Equatable {
        public let monthOrders: Int64
        public let bonusBps: Int64

        public init(monthOrders: Int64, bonusBps: Int64) {
            self.monthOrders = monthOrders
            self.bonusBps = bonusBps
        }
    }

    /// What the close saw of one line: refunded so far, and whether it left the line's commission
    /// out (reversed in full, or rejected by risk review).
    public struct LineClose: Sendable, Equatable {
        public let refunded: Int64
        public let excluded: Bool

        public init(refunded: Int64, excluded: Bool) {
            self.refunded = refunded
            self.excluded = excluded
        }
    }

    public struct Key: Hashable, Sendable {
        public let promoterID: String
        /// The month's first instant, in milliseconds.
        public let month: Int64

        public init(promoterID: String, month: Int64) {
            self.promoterID = promoterID
            self.month = month
        }
    }

    struct Line: Sendable {
        let line: CommissionEngine.Line
        /// Refunded as the line stands now (used when the close kept nothing).
        let refunded: Int64
        /// What the draft pays the line at payment.
        let amount: Int64
    }

    struct Month: Sendable {
        var rules: [(rule: CommissionRule, lines: [Line])] = []
        /// The rank bonus the promoter's latest order of the month was paid with.
        var bonusBps: Int64 = 0
        var latest: Int64 = .min
    }

    private(set) var months: [Key: Month] = [:]

    public init() {}

    /// The promoters' months gathered.
    public var keys: Set<Key> { Set(months.keys) }

    /// Adds one order of a closed month: each line the draft pays under a retroactive rule, to a
    /// single level-1 promoter (as the close takes them: lines split between promoters keep
    /// what they earned).
    public mutating func add(_ order: Order, month: Int64, paidAt: Int64, inputs: CommissionInputs, simulated: [PlanSimulation.Booked],
                             rules: [String: CommissionRule]) {
        let levelOne = Dictionary(grouping: simulated.filter { $0.level == 1 }, by: \.itemID)
        for item in order.items {
            guard let rule = rules[item.id], rule.paysRetroactively, let only = levelOne[item.id], only.count == 1, let commission = only.first else { continue }
            let key = Key(promoterID: commission.promoterID, month: month)
            var entry = months[key, default: Month()]
            if paidAt >= entry.latest {
                entry.latest = paidAt
                entry.bonusBps = inputs.active[commission.promoterID] ?? 0
            }
            let line = Line(line: .init(id: item.id, productID: item.productID, quantity: item.quantity, paid: item.paid),
                            refunded: item.refunded, amount: commission.amount)
            if let index = entry.rules.firstIndex(where: { $0.rule == rule }) {
                entry.rules[index].lines.append(line)
            } else {
                entry.rules.append((rule, [line]))
            }
            months[key] = entry
        }
    }

    /// The adjustment a promoter's month earns under the draft, one per rule, summed. `close` is
    /// what the close kept (nil for a month closed before it kept anything: then the month's
    /// orders are counted as they stand now, `countNow`, with the bonus of the month's last order
    /// and today's refunds); `lines` what it kept of each line.
    public func adjustment(_ key: Key, close: Close?, lines: [String: LineClose], countNow: Int64) -> Int64 {
        guard let month = months[key] else { return 0 }
        let monthOrders = close?.monthOrders ?? countNow
        let bonus = close?.bonusBps ?? month.bonusBps
        var total: Int64 = 0
        for (rule, gathered) in month.rules {
            var orders: [(line: CommissionEngine.Line, earned: Int64)] = []
            for line in gathered {
                let kept = close == nil ? LineClose(refunded: line.refunded, excluded: false) : lines[line.line.id]
                guard let kept, !kept.excluded else { continue }
                let reversed = CommissionEngine.reversal(amount: line.amount, linePaid: line.line.paid, refundedTotal: kept.refunded, reversedBefore: 0)
                let left = CommissionEngine.Line(id: line.line.id, productID: line.line.productID, quantity: line.line.quantity,
                                                 paid: Money.minus(line.line.paid, kept.refunded))
                orders.append((left, Money.minus(line.amount, reversed)))
            }
            guard !orders.isEmpty else { continue }
            total = Money.plus(total, CommissionEngine.retroactiveAdjustment(rule: rule, orders: orders, monthOrders: monthOrders, rankBonusBps: bonus))
        }
        return total
    }
}
