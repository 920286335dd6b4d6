/// What a refund sets off, computed from the order (its refunded total already grown by the
/// store's conditional UPDATE, its lines as they were) and the commissions on its lines: the
/// refund spread over the lines, each commission reversed to its cumulative share (a clawback
/// once settled), the journal entries, the events, and access revoked by a full refund. Pure.
public struct RefundPlan: Sendable, Equatable {
    /// A commission on one of the order's lines, as read.
    public struct Earned: Sendable, Equatable {
        public let id: String
        public let itemID: String
        public let promoterID: String
        public let amount: Int64
        public let reversed: Int64
        public let status: Commission.Status

        public init(id: String, itemID: String, promoterID: String, amount: Int64, reversed: Int64, status: Commission.Status) {
            self.id = id
            self.itemID = itemID
            self.promoterID = promoterID
            self.amount = amount
            self.reversed = reversed
            self.status = status
        }
    }

    public struct Reversal: Sendable, Equatable {
        public let commissionID: String
        /// The commission's reversed total after this refund.
        public let reversed: Int64
        public let status: Commission.Status
    }

    public let refund: Refund
    /// Each line's refunded total after this refund, for the lines it touches.
    public let lines: [(itemID: String, refunded: Int64)]
    public let reversals: [Reversal]
    public let entries: [PlannedEntry]
    public let events: [DomainEvent]
    /// Refunded in full: the buyer's courses from this order close.
    public let revokesAccess: Bool

    /// `itemID` takes the whole refund from that line (an after-sale); otherwise it is spread
    /// over the lines in proportion to what is left on each.
    public init(order: Order, amount: Int64, refundID: String?, reason: String?, commissions: [Earned], itemID: String? = nil,
                now: Instant) throws(TuikeError) {
        refund = Refund(id: Identifier.make("rfd", at: now), orderID: order.id, refundID: refundID, amount: amount, reason: reason, createdAt: now)
        var entries = [PlannedEntry(entry: try .refund(amount), reference: refund.id)]
        var events: [DomainEvent] = [.refundCreated(refundID: refund.id, orderID: order.id, amount: amount, orderStatus: order.status)]
        var lines: [(String, Int64)] = []
        var reversals: [Reversal] = []
        let shares: [Int64]
        if let itemID {
            guard let line = order.items.first(where: { $0.id == itemID }) else { throw .notFound("order line", itemID) }
            guard amount <= line.refundable else { throw .validation("amount \(amount) exceeds the \(line.refundable) fen left to refund on the line") }
            shares = order.items.map { $0.id == itemID ? amount : 0 }
        } else {
            shares = RefundAllocation.allocate(total: amount, over: order.items.map(\.refundable))
        }
        for (item, share) in zip(order.items, shares) where share > 0 {
            let lineRefunded = item.refunded + share
            lines.append((item.id, lineRefunded))
            for commission in commissions where commission.itemID == item.id && commission.status != .rejected && commission.status != .reversed {
                let delta = CommissionEngine.reversal(amount: commission.amount, linePaid: item.paid, refundedTotal: lineRefunded,
                                                      reversedBefore: commission.reversed)
                guard delta > 0 else { continue }
                let settled = commission.status == .settled || commission.status == .withdrawn
                let reversed = commission.reversed + delta
                let status: Commission.Status = !settled && reversed == commission.amount ? .reversed : commission.status
                reversals.append(Reversal(commissionID: commission.id, reversed: reversed, status: status))
                let remaining = commission.amount - reversed
                if settled {
                    entries.append(PlannedEntry(entry: try .clawback(promoterID: commission.promoterID, amount: delta), reference: refund.id))
                    events.append(.commissionClawedBack(commissionID: commission.id, promoterID: commission.promoterID, amount: delta,
                                                        remaining: remaining, status: status))
                } else {
                    entries.append(PlannedEntry(entry: try .reversal(promoterID: commission.promoterID, amount: delta), reference: refund.id))
                    events.append(.commissionReversed(commissionID: commission.id, promoterID: commission.promoterID, amount: delta,
                                                      remaining: remaining, status: status))
                }
            }
        }
        self.lines = lines
        self.reversals = reversals
        self.entries = entries
        self.events = events
        revokesAccess = order.status == .refunded
    }

    public static func == (a: RefundPlan, b: RefundPlan) -> Bool {
        a.refund == b.refund && a.lines.elementsEqual(b.lines) { $0 == $1 } && a.reversals == b.reversals && a.entries == b.entries
            && a.events == b.events && a.revokesAccess == b.revokesAccess
    }
}
