import SQLKit
import TuikeCore

/// Refunds (docs/rules.md §8) in one transaction each: the order's refunded total grows in the same
/// statement that checks it (so concurrent refunds can never exceed what was paid), the refund is
/// spread over the lines, every commission is reversed to its cumulative share (a clawback if it
/// was settled already), the journal records it all, and a full refund revokes course access.
public struct RefundRepository: Sendable {
    public let database: any Database

    public init(database: any Database) { self.database = database }

    /// `afterSale` takes the refund from its line and completes it in the same transaction
    /// (restocking a return); its id is the refund number, so a second approval is a retry.
    public func refund(orderID: String, amount: Int64, refundID: String?, reason: String?, afterSale: AfterSale? = nil,
                       settings: ProgramSettings? = nil, at now: Instant) async throws -> (Refund, Order) {
        guard amount > 0 else { throw TuikeError.validation("amount must be a positive number of fen") }
        let dialect = database.dialect
        return try await database.write { db in
            if let refundID, let existing = try await db.first("""
                SELECT id, order_id, refund_id, amount, reason, created_at FROM refunds WHERE refund_id = \(bind: refundID)
                """) {
                let record = try Self.decode(existing)
                guard record.orderID == orderID else { throw TuikeError(.conflict, code: "refund_id_used", "refund_id \(refundID) belongs to another order") }
                // The same refund_id with another amount is another refund, not a retry: answering
                // with the first would tell the caller that this amount went back.
                guard record.amount == amount else {
                    throw TuikeError(.conflict, code: "refund_id_used", "refund_id \(refundID) was used for a refund of \(record.amount) fen, not \(amount)")
                }
                return (record, try await OrderRepository.find(orderID, in: db).required("order", orderID))
            }
            let updated = try await db.first("""
                UPDATE orders SET refunded = refunded + \(bind: amount),
                    status = CASE WHEN refunded + \(bind: amount) = amount THEN 'refunded' ELSE 'partially_refunded' END
                WHERE id = \(bind: orderID) AND status IN ('paid', 'partially_refunded') AND refunded + \(bind: amount) <= amount
                RETURNING id
                """)
            guard updated != nil else { throw try await Self.refusal(orderID: orderID, amount: amount, in: db) }
            try await RoiCohorts.mark(orderID: orderID, at: now, in: db)
            let order = try await OrderRepository.find(orderID, in: db).required("order", orderID)
            // Locked with the order: a promoter-wide hold or a settlement racing this refund waits,
            // instead of having its status overwritten with the one read here.
            let earned = try await db.rows("""
                SELECT id, order_item_id, promoter_id, amount, reversed, status FROM commissions WHERE order_id = \(bind: orderID) AND kind = 'order'
                ORDER BY id \(unsafeRaw: dialect.forUpdate(of: "commissions"))
                """).map { row in
                RefundPlan.Earned(id: try row.decode(column: "id", as: String.self), itemID: try row.decode(column: "order_item_id", as: String.self),
                                  promoterID: try row.decode(column: "promoter_id", as: String.self), amount: try row.decode(column: "amount", as: Int64.self),
                                  reversed: try row.decode(column: "reversed", as: Int64.self),
                                  status: try row.decodeEnum(column: "status", as: Commission.Status.self))
            }
            let plan = try RefundPlan(order: order, amount: amount, refundID: refundID, reason: reason, commissions: earned,
                                      itemID: afterSale?.itemID, now: now)
            let record = plan.refund
            try await db.execute("""
                INSERT INTO refunds (id, order_id, refund_id, amount, reason, created_at)
                VALUES (\(bind: record.id), \(bind: orderID), \(bind: refundID), \(bind: amount), \(bind: reason), \(bind: now.milliseconds))
                """)
            var lineRefunds: [String: Int64] = [:]
            for (itemID, refunded) in plan.lines {
                try await db.execute("UPDATE order_items SET refunded = \(bind: refunded) WHERE id = \(bind: itemID)")
                lineRefunds[itemID] = refunded
            }
            // Goods refunded in full before any parcel left will never be sent: back into stock.
            // (Shipping locks the order too, so it sees either the refund or none of it.)
            if order.fulfilment == .unfulfilled {
                for var item in order.items where item.kind == .physical {
                    item.refunded = lineRefunds[item.id] ?? item.refunded
                    if order.status == .refunded || item.isWithdrawn { try await Stock.giveBack(itemID: item.id, units: item.quantity, in: db) }
                }
            }
            for reversal in plan.reversals {
                try await db.execute("""
                    UPDATE commissions SET reversed = \(bind: reversal.reversed), status = \(bind: reversal.status.rawValue) WHERE id = \(bind: reversal.commissionID)
                    """)
            }
            var bookings = Bookings()
            for entry in plan.entries { bookings.post(entry.entry, reference: entry.reference) }
            for event in plan.events { bookings.emit(event) }
            try await bookings.write(at: now, in: db)
            if let afterSale {
                try await AfterSaleRepository.completed(afterSale, refundID: record.id, settings: settings ?? .defaults, at: now, in: db)
            }
            if plan.revokesAccess {
                try await db.execute("UPDATE entitlements SET revoked_at = \(bind: now.milliseconds) WHERE order_id = \(bind: orderID) AND revoked_at IS NULL")
            }
            return (record, try await OrderRepository.find(orderID, in: db).required("order", orderID))
        }
    }

    /// Why a refund was refused: unknown order, not paid, nothing left, or more than is left.
    static func refusal(orderID: String, amount: Int64, in db: any SQLDatabase) async throws -> TuikeError {
        guard let order = try await OrderRepository.find(orderID, in: db) else { return .notFound("order", orderID) }
        return order.refundRefusal(amount) ?? TuikeError(.conflict, code: "conflict", "order \(orderID) changed while refunding; try again")
    }

    public func find(refundID: String) async throws -> Refund? {
        try await database.read { db in
            try await db.first("SELECT id, order_id, refund_id, amount, reason, created_at FROM refunds WHERE refund_id = \(bind: refundID)").map(Self.decode)
        }
    }

    public func list(orderID: String) async throws -> [Refund] {
        try await list(orderIDs: [orderID])[orderID] ?? []
    }

    /// The refunds of several orders in one statement, by order.
    public func list(orderIDs: [String]) async throws -> [String: [Refund]] {
        guard !orderIDs.isEmpty else { return [:] }
        return try await database.read { db in
            try await db.rows("""
                SELECT id, order_id, refund_id, amount, reason, created_at FROM refunds WHERE order_id IN (\(SQLList(orderIDs.map { SQLBind($0) }))) ORDER BY id
                """).reduce(into: [String: [Refund]]()) { byOrder, row in
                let refund = try Self.decode(row)
                byOrder[refund.orderID, default: []].append(refund)
            }
        }
    }

    static func decode(_ row: any SQLRow) throws -> Refund {
        Refund(
            id: try row.decode(column: "id", as: String.self), orderID: try row.decode(column: "order_id", as: String.self),
            refundID: try row.decode(column: "refund_id", as: String?.self), amount: try row.decode(column: "amount", as: Int64.self),
            reason: try row.decode(column: "reason", as: String?.self), createdAt: try row.decodeInstant(column: "created_at"))
    }
}
