import Foundation
import SQLKit
import TuikeCore

/// Orders and their lines, payments, commissions and entitlements.
public struct OrderRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// An order's columns in `find`, where `o` is the order and `i` its line.
    static let columns = """
        o.id, o.buyer_id, o.external_id, o.status, o.currency, o.amount, o.discount, o.refunded, o.visitor_id, o.click_id, o.coupon,
        o.level_one, o.level_two, o.level_three, o.attribution_rule, o.attribution_click_id, o.self_referral, o.created_at, o.paid_at, o.group_id
        """

    /// Orders stored before migration 10 were each given a job that cancels them at their timeout.
    public static let expireJob = "orders.expire"

    /// Stores a new order, to be cancelled at `expiresAt` if it is still unpaid then (`expireDue`);
    /// an order with the same `external_id` that exists already is returned instead (the second
    /// create is a retry). Returns the stored order and whether it is new.
    ///
    /// `stockLimited` false (no line's product had a stock limit when the order was priced) and no
    /// coupon to redeem let the order be stored in one statement (`StatementBatch.runAlone`): on
    /// PostgreSQL that saves the transaction's round trips and the stock check's. A product given
    /// a limit between pricing and storing then sells this order as it would have a moment sooner.
    public func create(_ order: Order, expiresAt: Instant, redeemsCoupon: Bool = false, stockLimited: Bool = true) async throws -> (Order, created: Bool) {
        if !redeemsCoupon, !stockLimited {
            let (requirement, lines) = (Self.orderInsert(order, expiresAt: expiresAt), try Self.linesAndEvent(order))
            if try await database.writeStatement({ db in try await lines.runAlone(requiring: requirement, in: db) }) { return (order, true) }
        }
        let inserted = try await database.write { db -> Bool in
            try await Self.insert(order, expiresAt: expiresAt, redeemsCoupon: redeemsCoupon, in: db)
        }
        if inserted { return (order, true) }
        guard let externalID = order.externalID, let existing = try await find(externalID: externalID) else {
            throw TuikeError(.conflict, code: "conflict", "the order could not be stored; try again")
        }
        return (existing, false)
    }

    static let itemInsert = RowInsert(
        into: "order_items",
        columns: ["id", "order_id", "position", "product_id", "title", "kind", "unit_price", "quantity", "discount", "paid", "rule", "rule_source", "retroactive"])
    static let paymentInsert = RowInsert(into: "payments", columns: ["id", "order_id", "payment_id", "provider", "amount", "created_at"])
    static let commissionInsert = RowInsert(
        into: "commissions",
        columns: ["id", "order_id", "order_item_id", "promoter_id", "level", "amount", "status", "rule_source", "basis", "eligible_at", "created_at"])

    /// The same inside a caller's transaction (a group slot is reserved with its order); false
    /// when an order with the same `external_id` exists.
    static func insert(_ order: Order, expiresAt: Instant, redeemsCoupon: Bool, in db: any SQLDatabase) async throws -> Bool {
        guard try await db.first(orderInsert(order, expiresAt: expiresAt)) != nil else { return false }
        if redeemsCoupon, let coupon = order.coupon { try await CouponRepository.redeem(coupon, in: db) }
        for item in order.items {
            // A product without a stock limit is not written at all: on PostgreSQL an update would
            // lock its row until commit and make every order of a bestseller wait for the one before.
            // Limited stock is taken in the statement that checks it, so it never goes below zero.
            let stock = try await db.first("SELECT stock FROM products WHERE id = \(bind: item.productID)")
            if let stock, try stock.decodeNil(column: "stock") { continue }
            let taken = try await db.first("""
                UPDATE products SET stock = stock - \(bind: item.quantity)
                WHERE id = \(bind: item.productID) AND stock >= \(bind: item.quantity) RETURNING id
                """)
            if taken == nil { throw TuikeError(.conflict, code: "out_of_stock", "not enough stock of \(item.title)") }
        }
        try await linesAndEvent(order).run(in: db)
        return true
    }

    /// The order's row; returns its id, or nothing when an order with its `external_id` exists.
    private static func orderInsert(_ order: Order, expiresAt: Instant) -> SQLQueryString {
        """
        INSERT INTO orders (id, buyer_id, external_id, status, currency, amount, discount, visitor_id, click_id, coupon, promoter_id,
            level_one, level_two, level_three, attribution_rule, attribution_click_id, self_referral, created_at, group_id, expires_at)
        VALUES (\(bind: order.id), \(bind: order.buyerID), \(bind: order.externalID), \(bind: order.status.rawValue), \(bind: order.currency),
            \(bind: order.amount), \(bind: order.discount), \(bind: order.visitorID), \(bind: order.clickID), \(bind: order.coupon), \(bind: order.promoterID),
            \(bind: order.levelOne.joined(separator: ",")), \(bind: order.levelTwo), \(bind: order.levelThree),
            \(bind: order.attributionRule.rawValue), \(bind: order.attributionClickID), \(bind: Int64(order.selfReferral ? 1 : 0)),
            \(bind: order.createdAt.milliseconds), \(bind: order.groupID), \(bind: expiresAt.milliseconds))
        ON CONFLICT DO NOTHING RETURNING id
        """
    }

    /// The order's lines and its `order.created` event, written after its row.
    private static func linesAndEvent(_ order: Order) throws -> StatementBatch {
        var batch = StatementBatch()
        batch.insert(
            itemInsert,
            rows: try order.items.enumerated().map { position, item in
                [.text(item.id), .text(order.id), .int(Int64(position)), .text(item.productID), .text(item.title), .text(item.kind.rawValue),
                 .int(item.unitPrice), .int(item.quantity), .int(item.discount), .int(item.paid),
                 .text(try StoredJSON.text(of: item.rule)), .text(item.ruleSource), .int(item.rule.paysRetroactively ? 1 : 0)]
            })
        Outbox.emit([Outbox.Event(.orderCreated(orderID: order.id, buyerID: order.buyerID, amount: order.amount, promoterID: order.promoterID))],
                    at: order.createdAt, into: &batch)
        return batch
    }

    public func find(_ id: String) async throws -> Order? {
        try await database.read { db in try await Self.find(id, in: db) }
    }

    /// Orders newest first, optionally of one status or buyer.
    public func list(status: Order.Status?, buyerID: String?, limit: Int, before: String?) async throws -> [Order] {
        try await database.read { db in
            let condition = SQLQueryString.all([status.map { "status = \(bind: $0.rawValue)" }, buyerID.map { "buyer_id = \(bind: $0)" },
                                                before.map { "id < \(bind: $0)" }])
            var found: [Order] = []
            for row in try await db.rows("SELECT id FROM orders WHERE \(condition) ORDER BY id DESC LIMIT \(bind: limit)") {
                if let order = try await Self.find(try row.decode(column: "id", as: String.self), in: db) { found.append(order) }
            }
            return found
        }
    }

    public func find(externalID: String) async throws -> Order? {
        try await database.read { db in
            guard let row = try await db.first("SELECT id FROM orders WHERE external_id = \(bind: externalID)") else { return nil }
            return try await Self.find(try row.decode(column: "id", as: String.self), in: db)
        }
    }

    /// The order with its lines, in one statement (a row per line). `lock` is
    /// `Dialect.forUpdate(of: "o")` to lock the order's row.
    static func find(_ id: String, in db: any SQLDatabase, lock: String = "") async throws -> Order? {
        let rows = try await db.rows("""
            SELECT \(unsafeRaw: columns), i.id AS item_id, i.product_id, i.title, i.kind, i.unit_price, i.quantity,
                i.discount AS item_discount, i.paid, i.refunded AS item_refunded, i.rule, i.rule_source
            FROM orders o LEFT JOIN order_items i ON i.order_id = o.id WHERE o.id = \(bind: id) ORDER BY i.position\(unsafeRaw: lock)
            """)
        guard let row = rows.first else { return nil }
        let items = try rows.compactMap { item -> Order.Item? in
            guard let itemID = try item.decode(column: "item_id", as: String?.self) else { return nil }
            return Order.Item(
                id: itemID, productID: try item.decode(column: "product_id", as: String.self),
                title: try item.decode(column: "title", as: String.self), kind: try item.decodeEnum(column: "kind", as: Product.Kind.self),
                unitPrice: try item.decode(column: "unit_price", as: Int64.self), quantity: try item.decode(column: "quantity", as: Int64.self),
                discount: try item.decode(column: "item_discount", as: Int64.self), paid: try item.decode(column: "paid", as: Int64.self),
                refunded: try item.decode(column: "item_refunded", as: Int64.self),
                rule: try StoredJSON.rules.decode(try item.decode(column: "rule", as: String.self)),
                ruleSource: try item.decode(column: "rule_source", as: String.self))
        }
        let levelOne = try row.decode(column: "level_one", as: String.self)
        return Order(
            id: try row.decode(column: "id", as: String.self), buyerID: try row.decode(column: "buyer_id", as: String.self),
            externalID: try row.decode(column: "external_id", as: String?.self), status: try row.decodeEnum(column: "status", as: Order.Status.self),
            currency: try row.decode(column: "currency", as: String.self), amount: try row.decode(column: "amount", as: Int64.self),
            discount: try row.decode(column: "discount", as: Int64.self),
            refunded: try row.decode(column: "refunded", as: Int64.self), visitorID: try row.decode(column: "visitor_id", as: String?.self),
            clickID: try row.decode(column: "click_id", as: String?.self), coupon: try row.decode(column: "coupon", as: String?.self),
            levelOne: levelOne.isEmpty ? [] : levelOne.split(separator: ",").map(String.init),
            levelTwo: try row.decode(column: "level_two", as: String?.self), levelThree: try row.decode(column: "level_three", as: String?.self),
            attributionRule: try row.decodeEnum(column: "attribution_rule", as: Attribution.Rule.self),
            attributionClickID: try row.decode(column: "attribution_click_id", as: String?.self),
            selfReferral: try row.decode(column: "self_referral", as: Int64.self) != 0, createdAt: try row.decodeInstant(column: "created_at"),
            paidAt: try row.decodeOptionalInstant(column: "paid_at"), items: items, groupID: try row.decode(column: "group_id", as: String?.self))
    }

    public struct Payment: Sendable, Equatable {
        public let paymentID: String
        public let provider: String
        public let amount: Int64
        public let createdAt: Instant
    }

    public func payments(orderID: String) async throws -> [Payment] {
        try await database.read { db in
            try await db.rows("SELECT payment_id, provider, amount, created_at FROM payments WHERE order_id = \(bind: orderID) ORDER BY id").map {
                Payment(paymentID: try $0.decode(column: "payment_id", as: String.self), provider: try $0.decode(column: "provider", as: String.self),
                        amount: try $0.decode(column: "amount", as: Int64.self), createdAt: try $0.decodeInstant(column: "created_at"))
            }
        }
    }

    /// Records a payment and everything it sets off, in one transaction: the order becomes paid,
    /// the payment and the commissions are booked to the journal, courses are granted, the buyer is
    /// bound. The same `payment_id` again returns the order unchanged; any other payment for an
    /// order that is no longer awaiting payment is 409. The program's settings are read here, as
    /// they stand at the payment.
    public func markPaid(_ orderID: String, paymentID: String, provider: String, at now: Instant) async throws -> Order {
        try await recordPayment(orderID, paymentID: paymentID, provider: provider, at: now).order
    }

    /// `markPaid`, also answering with the payment when this call recorded it. The order then has
    /// no other payment and no refund (it was awaiting payment), so a caller can show it whole
    /// without reading them back.
    public func recordPayment(_ orderID: String, paymentID: String, provider: String, at now: Instant) async throws -> (order: Order, recorded: Payment?) {
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
            if fast, let recorded = try await writeAhead(readAhead, active: active, paymentID: paymentID, provider: provider, settings: settings, at: now) {
                return recorded
            }
            return try await write(readAhead, paymentID: paymentID, provider: provider, settings: settings, at: now)
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
        order.status == .pendingPayment && order.groupID == nil && !order.items.contains { $0.rule.tiers != nil }
    }

    /// The usual payment written in one statement (`Bookings.writeAlone`). Which of its promoters
    /// are active, and their ranks (`active`), were read beforehand; the long way reads them in
    /// its transaction without locking them, so there too a change committed meanwhile goes
    /// unseen. Nil when the order was no longer pending or the payment_id was taken: the long way
    /// then finds out which.
    private func writeAhead(_ order: Order, active: [String: Int64], paymentID: String, provider: String, settings: ProgramSettings,
                            at now: Instant) async throws -> (order: Order, recorded: Payment?)? {
        var bookings = Bookings()
        let payment = try Self.bookPayment(order, paymentID: paymentID, provider: provider, at: now, into: &bookings)
        try Self.bookCommissions(order, active: active, monthOrderNumber: 1, settings: settings, at: now, into: &bookings)
        Self.bookAccessAndBinding(order, settings: settings, at: now, into: &bookings)
        let (ready, requirement) = (bookings, Self.paidUpdate(order.id, paymentID: paymentID, at: now))
        guard try await database.writeStatement({ db in try await ready.writeAlone(requiring: requirement, at: now, in: db) }) else { return nil }
        return (Self.paid(order, at: now), payment)
    }

    /// Takes a pending order whose payment_id is unused; returns its id, or nothing.
    private static func paidUpdate(_ orderID: String, paymentID: String, at now: Instant) -> SQLQueryString {
        """
        UPDATE orders SET status = 'paid', paid_at = \(bind: now.milliseconds)
        WHERE id = \(bind: orderID) AND status = 'pending_payment'
            AND NOT EXISTS (SELECT 1 FROM payments WHERE payment_id = \(bind: paymentID)) RETURNING id
        """
    }

    private func write(_ readAhead: Order, paymentID: String, provider: String, settings: ProgramSettings,
                       at now: Instant) async throws -> (order: Order, recorded: Payment?) {
        let orderID = readAhead.id, dialect = database.dialect
        return try await database.write { db in
            // The payment_id's check rides in the UPDATE: a used one sends the payment the long way.
            if readAhead.status == .pendingPayment, try await db.first(Self.paidUpdate(orderID, paymentID: paymentID, at: now)) != nil {
                return try await Self.book(readAhead, paymentID: paymentID, provider: provider, settings: settings, dialect: dialect, at: now, in: db)
            }
            guard let order = try await Self.find(orderID, in: db, lock: dialect.forUpdate(of: "o")) else { throw TuikeError.notFound("order", orderID) }
            if let existing = try await db.first("SELECT order_id FROM payments WHERE payment_id = \(bind: paymentID)") {
                guard try existing.decode(column: "order_id", as: String.self) == orderID else { throw Self.paymentIDUsed(paymentID) }
                return (order, nil)
            }
            // A group order's payment is taken even after its reservation lapsed: the money has
            // moved, so it either takes a slot again or is refunded (`group_closed`).
            let lateGroupPayment = order.groupID != nil && order.status == .cancelled
            guard order.status == .pendingPayment || lateGroupPayment else {
                throw TuikeError(.conflict, code: order.status == .cancelled ? "order_cancelled" : "already_paid",
                                 "order \(orderID) is \(order.status.rawValue)")
            }
            try await db.execute("""
                UPDATE orders SET status = 'paid', paid_at = \(bind: now.milliseconds) WHERE id = \(bind: orderID) AND status IN ('pending_payment', 'cancelled')
                """)
            return try await Self.book(order, paymentID: paymentID, provider: provider, settings: settings, dialect: dialect, at: now, in: db)
        }
    }

    /// Everything a payment sets off once the order is marked paid, in the caller's transaction.
    private static func book(_ order: Order, paymentID: String, provider: String, settings: ProgramSettings, dialect: Dialect, at now: Instant,
                             in db: any SQLDatabase) async throws -> (order: Order, recorded: Payment?) {
        var bookings = Bookings()
        let payment = try bookPayment(order, paymentID: paymentID, provider: provider, at: now, into: &bookings)
        if let groupID = order.groupID {
            switch try await GroupRepository.paymentArrived(order, settings: settings, at: now, in: db) {
            case .vanished:
                try await bookings.write(at: now, in: db)
                // Refunded in full by a job (a provider call never runs inside a transaction).
                try await GroupRepository.scheduleRefund(orderID: order.id, reason: "group_closed", at: now, in: db)
                return (paid(order, at: now), payment)
            case .slotted(let succeeded):
                // Not eligible before the group succeeds; success dates them and grants access.
                try await bookCommissions(order, settings: settings, dialect: dialect, at: now,
                                          eligibleAt: succeeded ? nil : awaitingGroup, into: &bookings, in: db)
                try await bookings.write(at: now, in: db)
                if succeeded { try await GroupRepository.succeed(groupID, settings: settings, at: now, in: db) }
            }
        } else {
            try await bookCommissions(order, settings: settings, dialect: dialect, at: now, into: &bookings, in: db)
        }
        bookAccessAndBinding(order, settings: settings, at: now, into: &bookings)
        try await bookings.write(at: now, in: db)
        return (paid(order, at: now), payment)
    }

    private static func paid(_ order: Order, at now: Instant) -> Order {
        var paid = order
        paid.status = .paid
        paid.paidAt = now
        return paid
    }

    /// The payment's row, its journal entry and its `order.paid` event.
    private static func bookPayment(_ order: Order, paymentID: String, provider: String, at now: Instant,
                                    into bookings: inout Bookings) throws -> Payment {
        bookings.statements.insert(paymentInsert, rows: [[
            .text(Identifier.make("pay", at: now)), .text(order.id), .text(paymentID), .text(provider), .int(order.amount), .int(now.milliseconds),
        ]])
        if order.amount > 0 { bookings.post(try .payment(order.amount), reference: order.id) }
        bookings.emit(.orderPaid(orderID: order.id, paymentID: paymentID, provider: provider, amount: order.amount))
        return Payment(paymentID: paymentID, provider: provider, amount: order.amount, createdAt: now)
    }

    /// The buyer's courses (a group order's come when its group succeeds) and binding to the promoter.
    private static func bookAccessAndBinding(_ order: Order, settings: ProgramSettings, at now: Instant, into bookings: inout Bookings) {
        if order.groupID == nil {
            for item in order.items where item.kind == .course {
                bookings.statements.add("""
                    INSERT INTO entitlements (buyer_id, product_id, order_id, granted_at)
                    VALUES (\(bind: order.buyerID), \(bind: item.productID), \(bind: order.id), \(bind: now.milliseconds)) ON CONFLICT DO NOTHING
                    """)
            }
        }
        if let promoter = order.promoterID, !order.selfReferral {
            bookings.statements.add(BindingRepository.bindStatement(buyerID: order.buyerID, promoterID: promoter, days: settings.bindingDays, at: now))
        }
    }

    /// `eligible_at` of commissions on group orders until their group succeeds (9999-12-31).
    static let awaitingGroup = Instant(milliseconds: 253_402_300_799_000)

    /// Stores the order's commissions and gathers their events and accrual entry into `bookings`,
    /// reading which of its promoters are active and the month's order count in the caller's
    /// transaction.
    static func bookCommissions(_ order: Order, settings: ProgramSettings, dialect: Dialect, at now: Instant, eligibleAt: Instant? = nil,
                                into bookings: inout Bookings, in db: any SQLDatabase) async throws {
        let active = try await activePromoters(order, in: db)
        guard let first = order.promoterID, order.levelOne.contains(where: { active[$0] != nil }) else { return }
        let number = try await monthOrderNumber(order, promoterID: first, settings: settings, dialect: dialect, at: now, in: db)
        try bookCommissions(order, active: active, monthOrderNumber: number, settings: settings, at: now, eligibleAt: eligibleAt, into: &bookings)
    }

    /// The rank bonus of each of the order's promoters who is still active, in one statement;
    /// nobody's when the order pays no commission.
    static func activePromoters(_ order: Order, in db: any SQLDatabase) async throws -> [String: Int64] {
        guard let snapshot = commissionedPromoters(order) else { return [:] }
        var bonusBps: [String: Int64] = [:]
        for row in try await db.rows("SELECT p.id, r.bonus_bps \(activeAmong(snapshot))") { try addBonus(row, to: &bonusBps) }
        return bonusBps
    }

    /// The program's settings and `activePromoters`, in one statement: a payment needs both before
    /// it writes (`ProgramRepository.current(along:)`).
    static func settingsAndActivePromoters(_ order: Order, in db: any SQLDatabase) async throws -> (ProgramSettings, [String: Int64]) {
        guard let snapshot = commissionedPromoters(order) else { return (try await ProgramRepository.current(in: db), [:]) }
        var bonusBps: [String: Int64] = [:]
        let settings = try await ProgramRepository.current(along: "SELECT 'promoter', p.id, r.bonus_bps, NULL \(activeAmong(snapshot))",
                                                           columns: "id, bonus_bps, body", in: db) { try addBonus($0, to: &bonusBps) }
        return (settings, bonusBps)
    }

    private static func addBonus(_ row: any SQLRow, to bonusBps: inout [String: Int64]) throws {
        bonusBps[try row.decode(column: "id", as: String.self)] = try row.decode(column: "bonus_bps", as: Int64?.self) ?? 0
    }

    /// The order's snapshot of promoters, levels one to three; nil when it pays no commission.
    private static func commissionedPromoters(_ order: Order) -> [String]? {
        guard order.promoterID != nil, !order.selfReferral else { return nil }
        return order.levelOne + [order.levelTwo, order.levelThree].compactMap { $0 }
    }

    private static func activeAmong(_ ids: [String]) -> SQLQueryString {
        "FROM promoters p LEFT JOIN ranks r ON r.id = p.rank_id WHERE p.id IN (\(SQLList(ids.map { SQLBind($0) }))) AND p.status = 'active'"
    }

    /// The same from what was read: `active` maps each active promoter to its rank bonus.
    static func bookCommissions(_ order: Order, active bonusBps: [String: Int64], monthOrderNumber number: Int64, settings: ProgramSettings,
                                at now: Instant, eligibleAt: Instant? = nil, into bookings: inout Bookings) throws {
        guard order.promoterID != nil, !order.selfReferral else { return }
        let levelOne = order.levelOne.filter { bonusBps[$0] != nil }
        guard !levelOne.isEmpty else { return }
        let beneficiaries = CommissionEngine.Beneficiaries(
            levelOne: levelOne, upline: [order.levelTwo, order.levelThree].map { $0.flatMap { bonusBps[$0] != nil ? $0 : nil } },
            rankBonusBps: bonusBps[levelOne[0]] ?? 0, monthOrderNumber: max(number, 1))
        let eligibleAt = eligibleAt ?? now.adding(seconds: settings.freezeDays * 86_400)
        var accrued: [(promoterID: String, amount: Int64)] = []
        var rows: [[RowValue]] = []
        for item in order.items {
            for commission in CommissionEngine.commissions(
                for: .init(id: item.id, productID: item.productID, quantity: item.quantity, paid: item.paid), rule: item.rule, beneficiaries: beneficiaries) {
                let commissionID = Identifier.make("com", at: now)
                rows.append([.text(commissionID), .text(order.id), .text(item.id), .text(commission.promoterID), .int(Int64(commission.level)),
                             .int(commission.amount), .text("pending"), .text(item.ruleSource), .text(commission.basis), .int(eligibleAt.milliseconds), .int(now.milliseconds)])
                bookings.emit(.commissionCreated(commissionID: commissionID, orderID: order.id, promoterID: commission.promoterID,
                                                 level: Int64(commission.level), amount: commission.amount, kind: nil))
                accrued.append((commission.promoterID, commission.amount))
            }
        }
        // At most 50 lines × 3 levels: one INSERT, well within the bind limit.
        bookings.statements.insert(commissionInsert, rows: rows)
        if !accrued.isEmpty { bookings.post(try .accrual(accrued), reference: order.id) }
    }

    /// The order's place among the promoter's paid orders this month, for the tier ladder. Orders
    /// whose rules have no ladder skip the count (1 is as good as any number to them), and with it
    /// the per-promoter lock that keeps two concurrent payments on PostgreSQL from taking the same
    /// number: most programs have no ladder, and the count grows with the promoter's month.
    static func monthOrderNumber(_ order: Order, promoterID: String, settings: ProgramSettings, dialect: Dialect, at now: Instant,
                                 in db: any SQLDatabase) async throws -> Int64 {
        guard order.items.contains(where: { $0.rule.tiers != nil }) else { return 1 }
        if dialect.kind == .postgres { try await db.execute("SELECT pg_advisory_xact_lock(hashtext(\(bind: promoterID)))") }
        let monthStart = try CalendarMonth.start(of: now, timeZone: settings.timeZone)
        return try await CountedOrders.count(promoterID: promoterID, from: monthStart, through: now, in: db)
    }

    /// Cancels every order still unpaid at its `expires_at` (at most `limit` per round, rounds until
    /// none is left); returns how many it cancelled. A job per order used to do this: four index
    /// entries written with each order and a claimed, run and completed job for each one later,
    /// paid or not. Now an order enters a partial index of unpaid orders and leaves it when paid.
    /// Each order is cancelled in its own write, so one that fails holds up no other; the first
    /// failure is thrown after the round, and the order is tried again next time. Safe on several
    /// instances at once: the cancelling UPDATE is conditional, so only one of them cancels.
    @discardableResult
    public func expireDue(at now: Instant, limit: Int = 100) async throws -> Int {
        var cancelled = 0
        while true {
            let due = try await database.read { db in
                try await db.rows("""
                    SELECT id FROM orders WHERE status = 'pending_payment' AND expires_at <= \(bind: now.milliseconds)
                    ORDER BY expires_at LIMIT \(bind: limit)
                    """).map { try $0.decode(column: "id", as: String.self) }
            }
            let database = database
            let results = await withTaskGroup(of: Result<Bool, any Error>.self) { group in
                for orderID in due {
                    group.addTask {
                        do { return .success(try await database.write { db in try await Self.cancel(orderID, at: now, in: db) }) } catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            var failure: (any Error)?
            for result in results {
                switch result {
                case .success(let didCancel): if didCancel { cancelled += 1 }
                case .failure(let error): failure = failure ?? error
                }
            }
            if let failure { throw failure }
            if due.count < limit { return cancelled }
        }
    }

    /// Runs a job of an order stored before migration 10: cancels it if it is still unpaid, and
    /// completes the job in the same transaction.
    @discardableResult
    public func expire(_ execution: JobExecution) async throws -> Bool {
        let orderID = execution.job.payload
        return try await database.write { db in
            let cancelled = try await Self.cancel(orderID, at: execution.now, in: db)
            try await execution.complete(in: db)
            return cancelled
        }
    }

    /// Cancels the order if it is still unpaid, and gives back its group slot, coupon use and
    /// stock. Returns whether it cancelled it.
    static func cancel(_ orderID: String, at now: Instant, in db: any SQLDatabase) async throws -> Bool {
        guard let cancelled = try await db.first("""
            UPDATE orders SET status = 'cancelled' WHERE id = \(bind: orderID) AND status = 'pending_payment' RETURNING coupon
            """) else { return false }
        try await Outbox.emit(.orderCancelled(orderID: orderID), at: now, in: db)
        try await GroupRepository.released(orderID: orderID, at: now, in: db)
        if let coupon = try cancelled.decode(column: "coupon", as: String?.self) {
            try await CouponRepository.release(coupon, in: db)
        }
        for row in try await db.rows("SELECT product_id, quantity FROM order_items WHERE order_id = \(bind: orderID)") {
            try await db.execute("""
                UPDATE products SET stock = stock + \(bind: try row.decode(column: "quantity", as: Int64.self))
                WHERE id = \(bind: try row.decode(column: "product_id", as: String.self)) AND stock IS NOT NULL
                """)
        }
        return true
    }

    public func entitlements(buyerID: String) async throws -> [(productID: String, grantedAt: Instant)] {
        try await database.read { db in
            try await db.rows("""
                SELECT product_id, MIN(granted_at) AS granted_at FROM entitlements WHERE buyer_id = \(bind: buyerID) AND revoked_at IS NULL
                GROUP BY product_id ORDER BY MIN(granted_at)
                """).map { (try $0.decode(column: "product_id", as: String.self), try $0.decodeInstant(column: "granted_at")) }
        }
    }
}
