/// Everything a payment sets off, computed from what the store read (`Snapshot`): the payment,
/// the commissions of each line for the promoters still active, the journal entries, the events,
/// the buyer's courses and binding. Pure; the store reads the snapshot and writes the plan in the
/// transaction (or the one statement) that marks the order paid.
public struct PaymentPlan: Sendable, Equatable {
    public struct Snapshot: Sendable {
        /// The order as it was awaiting payment.
        public let order: Order
        public let paymentID: String
        public let provider: String
        /// Each of the order's promoters who is still active, with the bonus of its current rank.
        public let active: [String: Int64]
        /// The level-1 promoter's counted orders this month, this one included.
        public let monthOrderNumber: Int64
        public let settings: ProgramSettings
        public let group: GroupPayment
        public let now: Instant

        public init(order: Order, paymentID: String, provider: String, active: [String: Int64], monthOrderNumber: Int64,
                    settings: ProgramSettings, group: GroupPayment = .none, now: Instant) {
            self.order = order
            self.paymentID = paymentID
            self.provider = provider
            self.active = active
            self.monthOrderNumber = monthOrderNumber
            self.settings = settings
            self.group = group
            self.now = now
        }
    }

    /// What a group order's payment found: its slot (and whether that completed the group), or no
    /// slot (the group closed): then the payment is booked and refunded in full, nothing else.
    public enum GroupPayment: Sendable, Equatable {
        case none, slotted(succeeded: Bool), vanished
    }

    public struct PlannedCommission: Sendable, Equatable {
        public let id: String
        public let itemID: String
        public let promoterID: String
        public let level: Int64
        public let amount: Int64
        public let ruleSource: String
        public let basis: String
        public let eligibleAt: Instant
    }

    /// `eligible_at` of commissions on group orders until their group succeeds (9999-12-31).
    public static let awaitingGroup = Instant(milliseconds: 253_402_300_799_000)

    /// The order once paid.
    public let order: Order
    public let paymentRowID: String
    public let commissions: [PlannedCommission]
    public let entries: [PlannedEntry]
    public let events: [DomainEvent]
    /// Products whose course the buyer may now open (a group order's come when its group succeeds).
    public let courses: [String]
    /// The promoter the buyer binds to, for `bindingDays` days.
    public let binding: String?
    /// The payment found no slot: refund it in full (outside the transaction).
    public let refundsInFull: Bool

    public init(_ snapshot: Snapshot) throws(TuikeError) {
        let order = snapshot.order, now = snapshot.now
        var paid = order
        paid.status = .paid
        paid.paidAt = now
        self.order = paid
        paymentRowID = Identifier.make("pay", at: now)
        var entries: [PlannedEntry] = []
        if order.amount > 0 { entries.append(PlannedEntry(entry: try .payment(order.amount), reference: order.id)) }
        var events: [DomainEvent] = [.orderPaid(orderID: order.id, paymentID: snapshot.paymentID, provider: snapshot.provider, amount: order.amount)]
        refundsInFull = snapshot.group == .vanished
        guard !refundsInFull else {
            (commissions, courses, binding) = ([], [], nil)
            self.entries = entries
            self.events = events
            return
        }
        let eligibleAt: Instant = switch snapshot.group {
        case .slotted(succeeded: false): Self.awaitingGroup
        default: now.adding(seconds: snapshot.settings.freezeDays * 86_400)
        }
        commissions = Self.commissions(order, active: snapshot.active, monthOrderNumber: snapshot.monthOrderNumber, eligibleAt: eligibleAt, now: now)
        for commission in commissions {
            events.append(.commissionCreated(commissionID: commission.id, orderID: order.id, promoterID: commission.promoterID,
                                             level: commission.level, amount: commission.amount, kind: nil))
        }
        if !commissions.isEmpty {
            entries.append(PlannedEntry(entry: try .accrual(commissions.map { ($0.promoterID, $0.amount) }), reference: order.id))
        }
        self.entries = entries
        self.events = events
        courses = snapshot.group == .none ? order.items.filter { $0.kind == .course }.map(\.productID) : []
        binding = order.selfReferral ? nil : order.promoterID
    }

    /// The promoters whose standing a payment reads: the snapshot's levels one to three; none
    /// when the order pays no commission.
    public static func commissionedPromoters(_ order: Order) -> [String] {
        guard order.promoterID != nil, !order.selfReferral else { return [] }
        return order.levelOne + [order.levelTwo, order.levelThree].compactMap { $0 }
    }

    /// Whether the month's order number matters: only a tier ladder reads it.
    public static func needsMonthOrderNumber(_ order: Order) -> Bool { order.items.contains { $0.rule.tiers != nil } }

    /// Level 1 goes to the snapshot's level-1 promoters still active; levels 2 and 3 to the
    /// upline still active (an inactive one's share is not passed on). A physical line's
    /// commissions wait for the goods to be received (`GoodsFreeze`).
    static func commissions(_ order: Order, active: [String: Int64], monthOrderNumber: Int64, eligibleAt: Instant, now: Instant) -> [PlannedCommission] {
        guard order.promoterID != nil, !order.selfReferral else { return [] }
        let levelOne = order.levelOne.filter { active[$0] != nil }
        guard !levelOne.isEmpty else { return [] }
        let beneficiaries = CommissionEngine.Beneficiaries(
            levelOne: levelOne, upline: [order.levelTwo, order.levelThree].map { $0.flatMap { active[$0] != nil ? $0 : nil } },
            rankBonusBps: active[levelOne[0]] ?? 0, monthOrderNumber: max(monthOrderNumber, 1))
        return order.items.flatMap { item in
            CommissionEngine.commissions(for: .init(id: item.id, productID: item.productID, quantity: item.quantity, paid: item.paid),
                                         rule: item.rule, beneficiaries: beneficiaries).map { commission in
                PlannedCommission(id: Identifier.make("com", at: now), itemID: item.id, promoterID: commission.promoterID, level: Int64(commission.level),
                                  amount: commission.amount, ruleSource: item.ruleSource, basis: commission.basis,
                                  eligibleAt: item.kind == .physical ? GoodsFreeze.awaiting : eligibleAt)
            }
        }
    }
}
