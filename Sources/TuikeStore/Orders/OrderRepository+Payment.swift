import SQLKit
import TuikeCore

/// Payments: the store reads what a payment depends on, `PaymentPlan` decides what it sets off,
/// and the store writes the plan with the statement that marks the order paid.
extension OrderRepository {
    public struct Payment: Sendable, Equatable {
        public let paymentID: String
        public let provider: String
        public let amount: Int64
        public let createdAt: Instant
    }

    public func payments(orderID: String) async throws -> [Payment] {
        try await payments(orderIDs: [orderID])[orderID] ?? []
    }

    /// The payments of several orders in one statement, by order.
    public func payments(orderIDs: [String]) async throws -> [String: [Payment]] {
        guard !orderIDs.isEmpty else { return [:] }
        return try await database.read { db in
            try await db.rows("""
                SELECT order_id, payment_id, provider, amount, created_at FROM payments WHERE order_id IN (\(SQLList(orderIDs.map { SQLBind($0) }))) ORDER BY id
                """).reduce(into: [String: [Payment]]()) { byOrder, row in
                byOrder[try row.decode(column: "order_id", as: String.self), default: []].append(
                    Payment(paymentID: try row.decode(column: "payment_id", as: String.self), provider: try row.decode(column: "provider", as: String.self),
                            amount: try row.decode(column: "amount", as: Int64.self), createdAt: try row.decodeInstant(column: "created_at")))
            }
        }
    }

    /// Records a payment and everything it sets off, in one transaction: the order becomes paid,
    /// the payment and the commissions are booked to the journal, courses are granted, the buyer is
    /// bound. The same `payment_id` again returns the order unchanged; any other payment for an
    /// order that is no longer awaiting payment is 409. The program's settings are read here, as
    /// they stand at the payment.
    ///
    /// `refundingLate`: the payment came through a provider Tuike took it with, so money has moved
    /// even when the order was cancelled meanwhile. Such a payment is booked, and refunded in full
    /// by a job, instead of refused (an integrator's report of a late payment stays 409).
    public func markPaid(_ orderID: String, paymentID: String, provider: String, at now: Instant, refundingLate: Bool = false) async throws -> Order {
        try await recordPayment(orderID, paymentID: paymentID, provider: provider, at: now, refundingLate: refundingLate).order
    }

    /// `markPaid`, also answering with the payment when this call recorded it. The order then has
    /// no other payment and no refund (it was awaiting payment), so a caller can show it whole
    /// without reading them back.
    public func recordPayment(_ orderID: String, paymentID: String, provider: String, at now: Instant,
                              refundingLate: Bool = false) async throws -> (order: Order, recorded: Payment?) {
        // Read ahead, outside the write (on SQLite, off the single writer): a pending order's lines,
        // amount and attribution never change, so this snapshot holds when the write finds the order
        // still pending and takes it in one conditional UPDATE. Anything else goes the long way,
        // reading and locking the order inside the write.
        guard let readAhead = try await find(orderID) else { throw TuikeError.notFound("order", orderID) }
        let fast = Self.writesAhead(readAhead)
        let (settings, active) = try await database.read { db in
            fast ? try await Self.settingsAndActivePromoters(readAhead, in: db) : (try await ProgramRepository.current(in: db), [:])
        }
        do {
            if fast, let recorded = try await writeAhead(PaymentPlan.Snapshot(
                order: readAhead, paymentID: paymentID, provider: provider, active: active, monthOrderNumber: 1, settings: settings, now: now)) {
                return recorded
            }
            return try await write(readAhead, paymentID: paymentID, provider: provider, settings: settings, refundingLate: refundingLate, at: now)
        } catch let error where !(error is TuikeError) {
            // Another order's payment took this payment_id after our check and committed first:
            // on PostgreSQL the unique key refused our insert. Say what happened; if even that
            // cannot be read, the first error is the one to report.
            let owner = try? await database.read { db in
                try await db.first("SELECT order_id FROM payments WHERE payment_id = \(bind: paymentID)")?.decode(column: "order_id", as: String.self)
            }
            if let owner, owner != orderID { throw Self.paymentIDUsed(paymentID) }
            throw error
        }
    }

    static func paymentIDUsed(_ paymentID: String) -> TuikeError {
        TuikeError(.conflict, code: "payment_id_used", "payment_id \(paymentID) belongs to another order")
    }

    /// Whether the payment may be written in one statement (`writeAhead`): the order was pending
    /// when read, is not a group's, and has no tier ladder on its lines (a ladder counts the
    /// promoter's month under a lock, inside a transaction).
    private static func writesAhead(_ order: Order) -> Bool {
        order.status == .pendingPayment && order.groupID == nil && !PaymentPlan.needsMonthOrderNumber(order) && !RiskRepository.mayAssess(order)
    }

    /// The usual payment written in one statement (`Bookings.writeAlone`). Which of its promoters
    /// are active, and their ranks, were read beforehand; the long way reads them in its
    /// transaction without locking them, so there too a change committed meanwhile goes unseen.
    /// Nil when the order was no longer pending or the payment_id was taken: the long way then
    /// finds out which.
    private func writeAhead(_ snapshot: PaymentPlan.Snapshot) async throws -> (order: Order, recorded: Payment?)? {
        let plan = try PaymentPlan(snapshot)
        var bookings = Bookings()
        let payment = Self.book(plan, snapshot, into: &bookings)
        let (ready, requirement) = (bookings, Self.paidUpdate(snapshot.order.id, paymentID: snapshot.paymentID, at: snapshot.now))
        guard try await database.writeStatement({ db in try await ready.writeAlone(requiring: requirement, at: snapshot.now, in: db) }) else { return nil }
        return (plan.order, payment)
    }

    /// Takes a pending order whose payment_id is unused; returns its id, or nothing.
    private static func paidUpdate(_ orderID: String, paymentID: String, at now: Instant) -> SQLQueryString {
        """
        UPDATE orders SET status = 'paid', paid_at = \(bind: now.milliseconds)
        WHERE id = \(bind: orderID) AND status = 'pending_payment'
            AND NOT EXISTS (SELECT 1 FROM payments WHERE payment_id = \(bind: paymentID)) RETURNING id
        """
    }

    private func write(_ readAhead: Order, paymentID: String, provider: String, settings: ProgramSettings, refundingLate: Bool,
                       at now: Instant) async throws -> (order: Order, recorded: Payment?) {
        let orderID = readAhead.id, dialect = database.dialect
        return try await database.write { db in
            // The payment_id's check rides in the UPDATE: a used one sends the payment the long way.
            if readAhead.status == .pendingPayment, try await db.first(Self.paidUpdate(orderID, paymentID: paymentID, at: now)) != nil {
                return try await Self.pay(readAhead, paymentID: paymentID, provider: provider, settings: settings, dialect: dialect, at: now, in: db)
            }
            guard let order = try await Self.find(orderID, in: db, lock: dialect.forUpdate(of: "o")) else { throw TuikeError.notFound("order", orderID) }
            if let existing = try await db.first("SELECT order_id FROM payments WHERE payment_id = \(bind: paymentID)") {
                guard try existing.decode(column: "order_id", as: String.self) == orderID else { throw Self.paymentIDUsed(paymentID) }
                return (order, nil)
            }
            // A group order's payment is taken even after its reservation lapsed: the money has
            // moved, so it either takes a slot again or is refunded (`group_closed`).
            // A second payment through a provider (the buyer paid with both WeChat Pay and Alipay):
            // the money has moved too, so it is given back in full, never booked to the order.
            if refundingLate, order.status != .pendingPayment, order.status != .cancelled {
                try await PaymentProviderRepository.recordStray(paymentID: paymentID, orderID: orderID, provider: provider, amount: order.amount, at: now, in: db)
                return (order, nil)
            }
            let lateGroupPayment = order.groupID != nil && order.status == .cancelled
            let lateProviderPayment = refundingLate && order.groupID == nil && order.status == .cancelled
            guard order.status == .pendingPayment || lateGroupPayment || lateProviderPayment else {
                throw TuikeError(.conflict, code: order.status == .cancelled ? "order_cancelled" : "already_paid",
                                 "order \(orderID) is \(order.status.rawValue)")
            }
            try await db.execute("""
                UPDATE orders SET status = 'paid', paid_at = \(bind: now.milliseconds) WHERE id = \(bind: orderID) AND status IN ('pending_payment', 'cancelled')
                """)
            return try await Self.pay(order, paymentID: paymentID, provider: provider, settings: settings, dialect: dialect,
                                      refundReason: lateProviderPayment ? "order_cancelled" : nil, at: now, in: db)
        }
    }

    /// Reads the snapshot in the caller's transaction (once the order is marked paid), writes the
    /// plan, and finishes what follows from it: a group's success, a refund with no slot.
    /// `refundReason` set: the payment is taken only to be given back in full (a late payment for
    /// a cancelled order), like a group payment that found no slot.
    private static func pay(_ order: Order, paymentID: String, provider: String, settings: ProgramSettings, dialect: Dialect,
                            refundReason: String? = nil, at now: Instant, in db: any SQLDatabase) async throws -> (order: Order, recorded: Payment?) {
        let group: PaymentPlan.GroupPayment = refundReason != nil ? .vanished
            : order.groupID == nil ? .none : try await GroupRepository.paymentArrived(order, settings: settings, at: now, in: db)
        let active = group == .vanished ? [:] : try await activePromoters(order, in: db)
        var number: Int64 = 1
        if let first = order.promoterID, order.levelOne.contains(where: { active[$0] != nil }) {
            number = try await monthOrderNumber(order, promoterID: first, settings: settings, dialect: dialect, at: now, in: db)
        }
        let snapshot = PaymentPlan.Snapshot(order: order, paymentID: paymentID, provider: provider, active: active, monthOrderNumber: number,
                                            settings: settings, group: group, now: now)
        let plan = try PaymentPlan(snapshot)
        var bookings = Bookings()
        let payment = book(plan, snapshot, into: &bookings)
        try await bookings.write(at: now, in: db)
        if group != .vanished { try await RiskRepository.assessPayment(order, at: now, in: db) }
        switch group {
        case .vanished:
            // Refunded in full by a job (a provider call never runs inside a transaction).
            try await GroupRepository.scheduleRefund(orderID: order.id, reason: refundReason ?? "group_closed", at: now, in: db)
        case .none, .slotted:
            // A last member's payment completed its group in `paymentArrived`, before the plan:
            // its commissions are dated from now, like those of a course bought alone.
            break
        }
        return (plan.order, payment)
    }

    /// Gathers the plan's rows, entries and events into `bookings`.
    private static func book(_ plan: PaymentPlan, _ snapshot: PaymentPlan.Snapshot, into bookings: inout Bookings) -> Payment {
        let order = snapshot.order, now = snapshot.now
        bookings.statements.insert(paymentInsert, rows: [[
            .text(plan.paymentRowID), .text(order.id), .text(snapshot.paymentID), .text(snapshot.provider), .int(order.amount), .int(now.milliseconds),
            // What the commissions depended on, for the plan simulator.
            .text(CommissionInputs(snapshot).text),
        ]])
        // At most 50 lines × 3 levels: one INSERT, well within the bind limit.
        bookings.statements.insert(commissionInsert, rows: plan.commissions.map { commission in
            [.text(commission.id), .text(order.id), .text(commission.itemID), .text(commission.promoterID), .int(commission.level),
             .int(commission.amount), .text(Commission.Status.pending.rawValue), .text(commission.ruleSource), .text(commission.basis),
             .int(commission.eligibleAt.milliseconds), .int(now.milliseconds)]
        })
        for entry in plan.entries { bookings.post(entry.entry, reference: entry.reference) }
        for event in plan.events { bookings.emit(event) }
        for productID in plan.courses {
            bookings.statements.add("""
                INSERT INTO entitlements (buyer_id, product_id, order_id, granted_at)
                VALUES (\(bind: order.buyerID), \(bind: productID), \(bind: order.id), \(bind: now.milliseconds)) ON CONFLICT DO NOTHING
                """)
        }
        if let promoter = plan.binding,
           let statement = BindingRepository.bindStatement(buyerID: order.buyerID, promoterID: promoter, days: snapshot.settings.bindingDays, at: now) {
            bookings.statements.add(statement)
        }
        return Payment(paymentID: snapshot.paymentID, provider: snapshot.provider, amount: order.amount, createdAt: now)
    }

    /// The rank bonus of each of the order's promoters who is still active, in one statement;
    /// nobody's when the order pays no commission.
    static func activePromoters(_ order: Order, in db: any SQLDatabase) async throws -> [String: Int64] {
        let snapshot = PaymentPlan.commissionedPromoters(order)
        guard !snapshot.isEmpty else { return [:] }
        var bonusBps: [String: Int64] = [:]
        for row in try await db.rows("SELECT p.id, r.bonus_bps \(activeAmong(snapshot))") { try addBonus(row, to: &bonusBps) }
        return bonusBps
    }

    /// The program's settings and `activePromoters`, in one statement: a payment needs both before
    /// it writes (`ProgramRepository.current(along:)`).
    static func settingsAndActivePromoters(_ order: Order, in db: any SQLDatabase) async throws -> (ProgramSettings, [String: Int64]) {
        let snapshot = PaymentPlan.commissionedPromoters(order)
        guard !snapshot.isEmpty else { return (try await ProgramRepository.current(in: db), [:]) }
        var bonusBps: [String: Int64] = [:]
        let settings = try await ProgramRepository.current(along: "SELECT 'promoter', p.id, r.bonus_bps, NULL \(activeAmong(snapshot))",
                                                           columns: "id, bonus_bps, body", in: db) { try addBonus($0, to: &bonusBps) }
        return (settings, bonusBps)
    }

    private static func addBonus(_ row: any SQLRow, to bonusBps: inout [String: Int64]) throws {
        bonusBps[try row.decode(column: "id", as: String.self)] = try row.decode(column: "bonus_bps", as: Int64?.self) ?? 0
    }

    private static func activeAmong(_ ids: [String]) -> SQLQueryString {
        "FROM promoters p LEFT JOIN ranks r ON r.id = p.rank_id WHERE p.id IN (\(SQLList(ids.map { SQLBind($0) }))) AND p.status = 'active'"
    }

    /// The order's place among the promoter's paid orders this month, for the tier ladder. Orders
    /// whose rules have no ladder skip the count (1 is as good as any number to them), and with it
    /// the per-promoter lock that keeps two concurrent payments on PostgreSQL from taking the same
    /// number: most programs have no ladder, and the count grows with the promoter's month.
    static func monthOrderNumber(_ order: Order, promoterID: String, settings: ProgramSettings, dialect: Dialect, at now: Instant,
                                 in db: any SQLDatabase) async throws -> Int64 {
        guard PaymentPlan.needsMonthOrderNumber(order) else { return 1 }
        if dialect.kind == .postgres { try await db.execute("SELECT pg_advisory_xact_lock(hashtext(\(bind: promoterID)))") }
        let monthStart = try CalendarMonth.start(of: now, timeZone: settings.timeZone)
        return try await CountedOrders.count(promoterID: promoterID, from: monthStart, through: now, in: db)
    }
}
