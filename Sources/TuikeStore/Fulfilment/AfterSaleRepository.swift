import SQLKit
import TuikeCore

/// After-sales (售后) on order lines. A request is stored with a unique partial index on the
/// line's open requests, so of many concurrent requests one is stored; while it is open, the
/// line's commissions wait (their `eligible_at` moves to `GoodsFreeze.awaiting`) and are given
/// their date back when it closes. Every move is one conditional UPDATE.
public struct AfterSaleRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    static let columns = """
        id, order_id, order_item_id, buyer_id, kind, status, amount, quantity, reason, photos, answer, return_carrier, return_tracking_number,
        created_at, updated_at
        """

    public struct Request: Sendable {
        public let orderID: String
        public let itemID: String?
        public let kind: AfterSale.Kind
        public let amount: Int64
        public let quantity: Int64?
        public let reason: String
        public let photos: [String]

        public init(orderID: String, itemID: String?, kind: AfterSale.Kind, amount: Int64, quantity: Int64?, reason: String, photos: [String]) {
            self.orderID = orderID
            self.itemID = itemID
            self.kind = kind
            self.amount = amount
            self.quantity = quantity
            self.reason = reason
            self.photos = photos
        }
    }

    /// Opens an after-sale, or refuses with the reason (`AfterSale.refusal`); 409
    /// `after_sale_open` when the line has one open already.
    public func request(_ request: Request, settings: ProgramSettings, at now: Instant) async throws -> AfterSale {
        try AfterSale.validate(reason: request.reason, photos: request.photos)
        let dialect = database.dialect
        return try await database.write { db in
            guard let order = try await OrderRepository.find(request.orderID, in: db, lock: dialect.forUpdate(of: "o")) else {
                throw TuikeError.notFound("order", request.orderID)
            }
            let physical = order.items.filter { $0.kind == .physical }
            let item: Order.Item
            if let itemID = request.itemID {
                guard let found = order.items.first(where: { $0.id == itemID }) else { throw TuikeError.validation("item_id \(itemID) is not a line of order \(order.id)") }
                item = found
            } else if physical.count == 1, let only = physical.first {
                item = only
            } else {
                throw physical.isEmpty ? TuikeError(.conflict, code: "not_physical", "order \(order.id) has no physical goods; refund it with POST /api/v1/orders/{id}/refunds")
                    : TuikeError.validation("order \(order.id) has several goods; name the line with item_id")
            }
            let quantity = request.quantity ?? item.quantity
            if let refusal = AfterSale.refusal(kind: request.kind, amount: request.amount, quantity: quantity, item: item,
                                               facts: .init(order: order, fulfilment: order.fulfilment, receivedAt: order.receivedAt),
                                               settings: settings, now: now) { throw refusal }
            let id = Identifier.make("as", at: now)
            guard try await db.first("""
                INSERT INTO after_sales (id, order_id, order_item_id, buyer_id, kind, status, amount, quantity, reason, photos, created_at, updated_at)
                VALUES (\(bind: id), \(bind: order.id), \(bind: item.id), \(bind: order.buyerID), \(bind: request.kind.rawValue), 'requested',
                        \(bind: request.amount), \(bind: quantity), \(bind: request.reason), \(bind: try StoredJSON.encode(request.photos)),
                        \(bind: now.milliseconds), \(bind: now.milliseconds))
                ON CONFLICT DO NOTHING RETURNING id
                """) != nil else {
                throw TuikeError(.conflict, code: "after_sale_open", "the line \(item.title) has an after-sale open already")
            }
            try await db.execute("""
                UPDATE commissions SET eligible_at = \(bind: GoodsFreeze.awaiting.milliseconds)
                WHERE order_item_id = \(bind: item.id) AND kind = 'order' AND status IN ('pending', 'held')
                """)
            try await TierAdjustmentDates.redate(orderID: order.id, in: db)
            try await Outbox.emit(.afterSale(.requested, afterSaleID: id, orderID: order.id, buyerID: order.buyerID, amount: request.amount), at: now, in: db)
            return try await Self.find(id, in: db).required("after-sale", id)
        }
    }

    /// Moves an after-sale from one of `from` to `to`, with the merchant's answer or the return
    /// parcel; 409 `after_sale_status` when it is not in one of `from`. Closing it without a
    /// refund gives the line's commissions their date back.
    public func move(_ id: String, from: [AfterSale.Status], to: AfterSale.Status, answer: String? = nil, returnParcel: (carrier: String, trackingNumber: String)? = nil,
                     settings: ProgramSettings, at now: Instant) async throws -> AfterSale {
        let dialect = database.dialect
        return try await database.write { db in
            guard let found = try await Self.find(id, in: db) else { throw TuikeError.notFound("after-sale", id) }
            // The order's row first, as receipt and refunds lock it: their commission dates and this
            // one's are then worked out one after the other.
            _ = try await OrderRepository.find(found.orderID, in: db, lock: dialect.forUpdate(of: "o"))
            guard let current = try await Self.find(id, in: db) else { throw TuikeError.notFound("after-sale", id) }
            guard from.contains(current.status), current.status.canMove(to: to) else {
                throw TuikeError(.conflict, code: "after_sale_status", "after-sale \(id) is \(current.status.rawValue); it cannot become \(to.rawValue)")
            }
            let sources = SQLList(from.map { SQLBind($0.rawValue) })
            guard try await db.first("""
                UPDATE after_sales SET status = \(bind: to.rawValue), answer = COALESCE(\(bind: answer), answer),
                    return_carrier = COALESCE(\(bind: returnParcel?.carrier), return_carrier),
                    return_tracking_number = COALESCE(\(bind: returnParcel?.trackingNumber), return_tracking_number), updated_at = \(bind: now.milliseconds)
                WHERE id = \(bind: id) AND status IN (\(sources)) RETURNING id
                """) != nil else { throw TuikeError(.conflict, code: "after_sale_status", "after-sale \(id) changed meanwhile; read it again") }
            if !to.isOpen { try await Self.refreeze(orderID: current.orderID, itemID: current.itemID, settings: settings, in: db) }
            try await Outbox.emit(.afterSale(to, afterSaleID: id, orderID: current.orderID, buyerID: current.buyerID, amount: current.amount), at: now, in: db)
            return try await Self.find(id, in: db).required("after-sale", id)
        }
    }

    /// Inside the refund's transaction: the after-sale is refunded, a return's goods go back
    /// into stock, and what is left of the line's commissions gets its date back.
    static func completed(_ afterSale: AfterSale, refundID: String, settings: ProgramSettings, at now: Instant, in db: any SQLDatabase) async throws {
        // Paid only once claimed: a refund `approved`, a return `returning` (neither can be withdrawn
        // by the buyer). A finance refusal that landed while the provider was paying loses to the
        // payment: the money went back, so the books say so (a refusal never claims, so only a
        // claimed after-sale reaches here).
        let from: SQLQueryString = afterSale.kind == .refund ? "'approved', 'refused'" : "'returning', 'refused'"
        guard try await db.first("""
            UPDATE after_sales SET status = 'refunded', refund_id = \(bind: refundID), updated_at = \(bind: now.milliseconds)
            WHERE id = \(bind: afterSale.id) AND status IN (\(from)) RETURNING id
            """) != nil else {
            throw TuikeError(.conflict, code: "after_sale_status", "after-sale \(afterSale.id) is no longer waiting for its refund")
        }
        if afterSale.kind == .goodsReturn {
            // Never more back into stock than the line sold, over all its returns.
            try await Stock.giveBack(itemID: afterSale.itemID, units: afterSale.quantity, in: db)
        }
        try await refreeze(orderID: afterSale.orderID, itemID: afterSale.itemID, settings: settings, in: db)
        try await Outbox.emit(.afterSale(.refunded, afterSaleID: afterSale.id, orderID: afterSale.orderID, buyerID: afterSale.buyerID, amount: afterSale.amount),
                              at: now, in: db)
    }

    /// Gives the pending commissions on the order's physical lines (or one line) their date:
    /// `GoodsFreeze.eligibleAt` once received, waiting before that, and waiting while the line has
    /// an open after-sale.
    static func refreeze(orderID: String, itemID: String?, settings: ProgramSettings, in db: any SQLDatabase) async throws {
        let freeze = Money.times(settings.freezeDays, 86_400_000), afterSale = Money.times(settings.afterSaleDays, 86_400_000)
        let line: SQLQueryString = itemID.map { "AND i.id = \(bind: $0)" } ?? ""
        try await db.execute("""
            UPDATE commissions SET eligible_at = COALESCE((
                SELECT CASE WHEN o.received_at + \(bind: afterSale) > o.paid_at + \(bind: freeze) THEN o.received_at + \(bind: afterSale)
                    ELSE o.paid_at + \(bind: freeze) END
                FROM orders o WHERE o.id = commissions.order_id AND o.received_at IS NOT NULL AND o.paid_at IS NOT NULL
            ), \(bind: GoodsFreeze.awaiting.milliseconds))
            WHERE kind = 'order' AND status IN ('pending', 'held') AND order_id = \(bind: orderID)
                AND order_item_id IN (SELECT i.id FROM order_items i WHERE i.order_id = \(bind: orderID) AND i.kind = 'physical' \(line))
                AND order_item_id NOT IN (SELECT a.order_item_id FROM after_sales a WHERE a.order_id = \(bind: orderID)
                    AND a.status IN ('requested', 'approved', 'returning'))
            """)
        try await TierAdjustmentDates.redate(orderID: orderID, in: db)
    }

    public func find(_ id: String) async throws -> AfterSale? {
        try await database.read { db in try await Self.find(id, in: db) }
    }

    static func find(_ id: String, in db: any SQLDatabase) async throws -> AfterSale? {
        try await db.first("SELECT \(unsafeRaw: columns) FROM after_sales WHERE id = \(bind: id)").map(decode)
    }

    /// Newest first, optionally of one status, order or buyer.
    public func list(status: AfterSale.Status?, orderIDs: [String]? = nil, buyerID: String? = nil, limit: Int, before: String?) async throws -> [AfterSale] {
        if let orderIDs, orderIDs.isEmpty { return [] }
        return try await database.read { db in
            let condition = SQLQueryString.all([
                status.map { "status = \(bind: $0.rawValue)" }, buyerID.map { "buyer_id = \(bind: $0)" }, before.map { "id < \(bind: $0)" },
                orderIDs.map { "order_id IN (\(SQLList($0.map { SQLBind($0) })))" },
            ])
            return try await db.rows("SELECT \(unsafeRaw: Self.columns) FROM after_sales WHERE \(condition) ORDER BY id DESC LIMIT \(bind: limit)").map(Self.decode)
        }
    }

    static func decode(_ row: any SQLRow) throws -> AfterSale {
        AfterSale(
            id: try row.decode(column: "id", as: String.self), orderID: try row.decode(column: "order_id", as: String.self),
            itemID: try row.decode(column: "order_item_id", as: String.self), buyerID: try row.decode(column: "buyer_id", as: String.self),
            kind: try row.decodeEnum(column: "kind", as: AfterSale.Kind.self), status: try row.decodeEnum(column: "status", as: AfterSale.Status.self),
            amount: try row.decode(column: "amount", as: Int64.self), quantity: try row.decode(column: "quantity", as: Int64.self),
            reason: try row.decode(column: "reason", as: String.self),
            photos: try StoredJSON.decode([String].self, try row.decode(column: "photos", as: String.self)),
            answer: try row.decode(column: "answer", as: String?.self), returnCarrier: try row.decode(column: "return_carrier", as: String?.self),
            returnTrackingNumber: try row.decode(column: "return_tracking_number", as: String?.self),
            createdAt: try row.decodeInstant(column: "created_at"), updatedAt: try row.decodeInstant(column: "updated_at"))
    }
}
