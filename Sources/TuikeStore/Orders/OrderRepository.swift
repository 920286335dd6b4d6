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
        o.level_one, o.level_two, o.level_three, o.attribution_rule, o.attribution_click_id, o.self_referral, o.created_at, o.paid_at, o.group_id,
        o.shipping_address, o.fulfilment_status, o.received_at, o.ip_hash, o.device_hash
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
            let (requirement, lines) = (try Self.orderInsert(order, expiresAt: expiresAt), try Self.linesAndEvent(order))
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
        columns: ["id", "order_id", "position", "product_id", "title", "kind", "unit_price", "quantity", "discount", "paid", "rule", "rule_source", "retroactive",
                  "sku", "sku_id"])
    static let paymentInsert = RowInsert(into: "payments", columns: ["id", "order_id", "payment_id", "provider", "amount", "created_at", "commission_inputs"])
    static let commissionInsert = RowInsert(
        into: "commissions",
        columns: ["id", "order_id", "order_item_id", "promoter_id", "level", "amount", "status", "rule_source", "basis", "eligible_at", "created_at"])

    /// The same inside a caller's transaction (a group slot is reserved with its order); false
    /// when an order with the same `external_id` exists.
    static func insert(_ order: Order, expiresAt: Instant, redeemsCoupon: Bool, in db: any SQLDatabase) async throws -> Bool {
        guard try await db.first(try orderInsert(order, expiresAt: expiresAt)) != nil else { return false }
        if redeemsCoupon, let coupon = order.coupon { try await CouponRepository.redeem(coupon, in: db) }
        for item in order.items { try await Stock.take(item, in: db) }
        try await linesAndEvent(order).run(in: db)
        return true
    }

    /// The order's row; returns its id, or nothing when an order with its `external_id` exists.
    private static func orderInsert(_ order: Order, expiresAt: Instant) throws -> SQLQueryString {
        """
        INSERT INTO orders (id, buyer_id, external_id, status, currency, amount, discount, visitor_id, click_id, coupon, promoter_id,
            level_one, level_two, level_three, attribution_rule, attribution_click_id, self_referral, created_at, group_id, expires_at,
            shipping_address, fulfilment_status, ip_hash, device_hash)
        VALUES (\(bind: order.id), \(bind: order.buyerID), \(bind: order.externalID), \(bind: order.status.rawValue), \(bind: order.currency),
            \(bind: order.amount), \(bind: order.discount), \(bind: order.visitorID), \(bind: order.clickID), \(bind: order.coupon), \(bind: order.promoterID),
            \(bind: order.levelOne.joined(separator: ",")), \(bind: order.levelTwo), \(bind: order.levelThree),
            \(bind: order.attributionRule.rawValue), \(bind: order.attributionClickID), \(bind: Int64(order.selfReferral ? 1 : 0)),
            \(bind: order.createdAt.milliseconds), \(bind: order.groupID), \(bind: expiresAt.milliseconds),
            \(bind: try order.shippingAddress.map(StoredJSON.encode)), \(bind: order.fulfilment?.rawValue), \(bind: order.originIPHash),
            \(bind: order.originDeviceHash))
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
                 .text(try StoredJSON.text(of: item.rule)), .text(item.ruleSource), .int(item.rule.paysRetroactively ? 1 : 0),
                 RowValue(item.sku), RowValue(item.skuID)]
            })
        Outbox.emit([Outbox.Event(.orderCreated(orderID: order.id, buyerID: order.buyerID, amount: order.amount, promoterID: order.promoterID))],
                    at: order.createdAt, into: &batch)
        return batch
    }

    public func find(_ id: String) async throws -> Order? {
        try await database.read { db in try await Self.find(id, in: db) }
    }

    /// Orders newest first, optionally of one status or buyer: the page's orders and their lines
    /// in one statement, whatever the page's size.
    public func list(status: Order.Status?, buyerID: String?, limit: Int, before: String?) async throws -> [Order] {
        try await database.read { db in
            let condition = SQLQueryString.all([status.map { "status = \(bind: $0.rawValue)" }, buyerID.map { "buyer_id = \(bind: $0)" },
                                                before.map { "id < \(bind: $0)" }])
            return try Self.decodeOrders(try await db.rows("""
                SELECT \(unsafeRaw: Self.withLines) WHERE o.id IN (SELECT id FROM orders WHERE \(condition) ORDER BY id DESC LIMIT \(bind: limit))
                ORDER BY o.id DESC, i.position
                """))
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
        try decodeOrders(try await db.rows("SELECT \(unsafeRaw: withLines) WHERE o.id = \(bind: id) ORDER BY i.position\(unsafeRaw: lock)")).first
    }

    /// An order's columns and its lines', a row per line, for `decodeOrders`.
    static let withLines = """
        \(columns), i.id AS item_id, i.product_id, i.title, i.kind, i.unit_price, i.quantity,
            i.discount AS item_discount, i.paid, i.refunded AS item_refunded, i.rule, i.rule_source, i.sku, i.sku_id
        FROM orders o LEFT JOIN order_items i ON i.order_id = o.id
        """

    /// Orders from rows of `withLines`, each order's rows together, in the order they come.
    static func decodeOrders(_ rows: [any SQLRow]) throws -> [Order] {
        var orders: [Order] = []
        var start = 0
        while start < rows.count {
            let id = try rows[start].decode(column: "id", as: String.self)
            var end = start + 1
            while end < rows.count, try rows[end].decode(column: "id", as: String.self) == id { end += 1 }
            orders.append(try decodeOrder(rows[start..<end]))
            start = end
        }
        return orders
    }

    private static func decodeOrder(_ rows: ArraySlice<any SQLRow>) throws -> Order {
        guard let row = rows.first else { throw StoreError.noRow }
        let items = try rows.compactMap { item -> Order.Item? in
            guard let itemID = try item.decode(column: "item_id", as: String?.self) else { return nil }
            return Order.Item(
                id: itemID, productID: try item.decode(column: "product_id", as: String.self),
                title: try item.decode(column: "title", as: String.self), kind: try item.decodeEnum(column: "kind", as: Product.Kind.self),
                unitPrice: try item.decode(column: "unit_price", as: Int64.self), quantity: try item.decode(column: "quantity", as: Int64.self),
                discount: try item.decode(column: "item_discount", as: Int64.self), paid: try item.decode(column: "paid", as: Int64.self),
                refunded: try item.decode(column: "item_refunded", as: Int64.self),
                rule: try StoredJSON.rules.decode(try item.decode(column: "rule", as: String.self)),
                ruleSource: try item.decode(column: "rule_source", as: String.self),
                sku: try item.decode(column: "sku", as: String?.self), skuID: try item.decode(column: "sku_id", as: String?.self))
        }
        let levelOne = try row.decode(column: "level_one", as: String.self)
        var order = Order(
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
            paidAt: try row.decodeOptionalInstant(column: "paid_at"), items: items, groupID: try row.decode(column: "group_id", as: String?.self),
            shippingAddress: try row.decode(column: "shipping_address", as: String?.self).map { try StoredJSON.decode(ShippingAddress.self, $0) },
            fulfilment: try row.decode(column: "fulfilment_status", as: String?.self).flatMap(FulfilmentStatus.init(rawValue:)),
            receivedAt: try row.decodeOptionalInstant(column: "received_at"))
        order.originIPHash = try row.decode(column: "ip_hash", as: String?.self)
        order.originDeviceHash = try row.decode(column: "device_hash", as: String?.self)
        return order
    }

    /// Cancels every order still unpaid at its `expires_at` (at most `limit` per round, rounds until
    /// none is left); returns how many it cancelled. A job per order used to do this: four index
    /// entries written with each order and a claimed, run and completed job for each one later,
    /// paid or not. Now an order enters a partial index of unpaid orders and leaves it when paid.
    /// Each order is cancelled in its own write, so one that fails holds up no other; the first
    /// failure is thrown after the last round, and the order is tried again next time. Safe on several
    /// instances at once: the cancelling UPDATE is conditional, so only one of them cancels.
    /// `settle` runs first, outside any transaction, for each order whose payment was started with
    /// a provider (`payment_checkouts`): it books a payment the provider took, or closes the
    /// provider's order; when it throws, the order is left for the next round.
    @discardableResult
    public func expireDue(at now: Instant, limit: Int = 100, settle: (@Sendable (String) async throws -> Void)? = nil) async throws -> Int {
        var cancelled = 0
        var failure: (any Error)?
        // Rounds walk the due orders in (expires_at, id) order, so one that keeps failing (its
        // provider refuses to answer) is passed over, not met at the head of every round.
        var after: (expiresAt: Int64, id: String) = (Int64.min, "")
        while true {
            let from = after
            let due = try await database.read { db in
                try await db.rows("""
                    SELECT id, expires_at, EXISTS (SELECT 1 FROM payment_checkouts c WHERE c.order_id = o.id) AS started
                    FROM orders o WHERE status = 'pending_payment' AND expires_at <= \(bind: now.milliseconds)
                    AND (expires_at > \(bind: from.expiresAt) OR (expires_at = \(bind: from.expiresAt) AND id > \(bind: from.id)))
                    ORDER BY expires_at, id LIMIT \(bind: limit)
                    """).map { (try $0.decode(column: "id", as: String.self), try $0.decode(column: "expires_at", as: Int64.self),
                                try $0.decode(column: "started", as: Bool.self)) }
            }
            if let last = due.last { after = (last.1, last.0) }
            let database = database
            let results = await withTaskGroup(of: Result<Bool, any Error>.self) { group in
                for (orderID, _, started) in due {
                    group.addTask {
                        do {
                            if started, let settle { try await settle(orderID) }
                            return .success(try await database.write { db in try await Self.cancel(orderID, at: now, in: db) })
                        } catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for result in results {
                switch result {
                case .success(let didCancel): if didCancel { cancelled += 1 }
                case .failure(let error): failure = failure ?? error
                }
            }
            if due.count < limit {
                if let failure { throw failure }
                return cancelled
            }
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
        try await Stock.giveBackAll(orderID: orderID, in: db)
        return true
    }

    /// When an unpaid order is cancelled if still unpaid.
    public func expiresAt(_ orderID: String) async throws -> Instant? {
        try await database.read { db in
            try await db.first("SELECT expires_at FROM orders WHERE id = \(bind: orderID)")?.decode(column: "expires_at", as: Int64?.self).map(Instant.init)
        }
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
