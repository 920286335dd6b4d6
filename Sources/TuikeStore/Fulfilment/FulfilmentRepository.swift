import SQLKit
import TuikeCore

/// Shipping and receipt of orders with physical lines (docs/rules.md §13). Each move is one
/// transaction on the locked order whose UPDATE names the fulfilment statuses it may come from,
/// so a second receipt, or a receipt racing the auto-receipt sweep, happens once.
public struct FulfilmentRepository: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Adds a parcel. The same tracking number again is a retry (the CSV uploaded twice): nothing
    /// changes and `added` is false. Every parcel pushes the auto-receipt back.
    public func ship(orderID: String, carrier: String, trackingNumber: String, settings: ProgramSettings,
                     at now: Instant) async throws -> (order: Order, added: Bool) {
        try Shipment.validate(carrier: carrier, trackingNumber: trackingNumber)
        let dialect = database.dialect
        return try await database.write { db in
            let order = try await Self.lockedGoodsOrder(orderID, dialect: dialect, in: db)
            if order.fulfilment == .received { throw TuikeError(.conflict, code: "already_received", "order \(orderID) was received already") }
            guard order.status.isRefundable else {
                throw TuikeError(.conflict, code: order.status == .refunded ? "already_refunded" : "not_paid",
                                 "order \(orderID) is \(order.status.rawValue); only paid orders are shipped")
            }
            if order.fulfilment == .unfulfilled, order.goodsToShip.isEmpty {
                throw TuikeError(.conflict, code: "nothing_to_ship", "every physical line of order \(orderID) was refunded in full; nothing is left to ship")
            }
            if let groupID = order.groupID,
               try await db.first("SELECT status FROM groups WHERE id = \(bind: groupID)")?.decode(column: "status", as: String.self) != "succeeded" {
                throw TuikeError(.conflict, code: "group_not_succeeded", "group \(groupID) has not succeeded; ship when it has")
            }
            if try await db.first("SELECT id FROM shipments WHERE order_id = \(bind: orderID) AND tracking_number = \(bind: trackingNumber)") != nil {
                return (order, false)
            }
            let parcels = try await db.one("SELECT COUNT(*) AS n FROM shipments WHERE order_id = \(bind: orderID)").decode(column: "n", as: Int64.self)
            guard parcels < Int64(Shipment.maxPerOrder) else { throw TuikeError.validation("an order has at most \(Shipment.maxPerOrder) parcels") }
            try await db.execute("""
                INSERT INTO shipments (id, order_id, carrier, tracking_number, created_at)
                VALUES (\(bind: Identifier.make("shp", at: now)), \(bind: orderID), \(bind: carrier), \(bind: trackingNumber), \(bind: now.milliseconds))
                """)
            let receiveBy = GoodsFreeze.receiveBy(lastShipment: now, settings: settings)
            guard try await db.first("""
                UPDATE orders SET fulfilment_status = 'shipped', last_shipped_at = \(bind: now.milliseconds), receive_by = \(bind: receiveBy.milliseconds)
                WHERE id = \(bind: orderID) AND fulfilment_status IN ('unfulfilled', 'shipped') RETURNING id
                """) != nil else { throw TuikeError(.conflict, code: "conflict", "order \(orderID) changed while shipping; try again") }
            try await Outbox.emit(.orderShipped(orderID: orderID, buyerID: order.buyerID, carrier: carrier, trackingNumber: trackingNumber), at: now, in: db)
            return (try await OrderRepository.find(orderID, in: db).required("order", orderID), true)
        }
    }

    /// The buyer has the goods: the order is received, and the commissions on its physical lines
    /// become eligible `after_sale_days` from now (never before `freeze_days` after payment).
    public func receive(orderID: String, automatic: Bool = false, settings: ProgramSettings, at now: Instant) async throws -> Order {
        let dialect = database.dialect
        return try await database.write { db in
            let order = try await Self.lockedGoodsOrder(orderID, dialect: dialect, in: db)
            switch order.fulfilment {
            case .received: throw TuikeError(.conflict, code: "already_received", "order \(orderID) was received already")
            case .unfulfilled, nil: throw TuikeError(.conflict, code: "not_shipped", "order \(orderID) has not been shipped")
            case .shipped: break
            }
            try await Self.received(order, automatic: automatic, settings: settings, at: now, in: db)
            return try await OrderRepository.find(orderID, in: db).required("order", orderID)
        }
    }

    static func received(_ order: Order, automatic: Bool, settings: ProgramSettings, at now: Instant, in db: any SQLDatabase) async throws {
        guard try await db.first("""
            UPDATE orders SET fulfilment_status = 'received', received_at = \(bind: now.milliseconds), receive_by = NULL
            WHERE id = \(bind: order.id) AND fulfilment_status = 'shipped' RETURNING id
            """) != nil else { return }
        try await AfterSaleRepository.refreeze(orderID: order.id, itemID: nil, settings: settings, in: db)
        try await Outbox.emit(.orderReceived(orderID: order.id, buyerID: order.buyerID, automatic: automatic), at: now, in: db)
    }

    /// The order, locked, if it has physical lines: 404 for none, 409 `not_physical` otherwise.
    static func lockedGoodsOrder(_ orderID: String, dialect: Dialect, in db: any SQLDatabase) async throws -> Order {
        guard let order = try await OrderRepository.find(orderID, in: db, lock: dialect.forUpdate(of: "o")) else { throw TuikeError.notFound("order", orderID) }
        guard order.hasPhysicalLines, order.fulfilment != nil else {
            throw TuikeError(.conflict, code: "not_physical", "order \(orderID) has no physical goods to ship or receive")
        }
        return order
    }

    /// The sweep: every order shipped at least `auto_receive_days` ago counts as received.
    /// Safe on several instances at once: the receiving UPDATE is conditional.
    @discardableResult
    public func receiveDue(settings: ProgramSettings, at now: Instant, limit: Int = 200) async throws -> Int {
        var received = 0
        while true {
            let due = try await database.read { db in
                try await db.rows("""
                    SELECT id FROM orders WHERE fulfilment_status = 'shipped' AND receive_by <= \(bind: now.milliseconds) ORDER BY receive_by LIMIT \(bind: limit)
                    """).map { try $0.decode(column: "id", as: String.self) }
            }
            for orderID in due {
                do {
                    _ = try await receive(orderID: orderID, automatic: true, settings: settings, at: now)
                    received += 1
                } catch let error as TuikeError where error.code == "already_received" {}
            }
            if due.count < limit { return received }
        }
    }

    public func shipments(orderIDs: [String]) async throws -> [String: [Shipment]] {
        guard !orderIDs.isEmpty else { return [:] }
        return try await database.read { db in
            try await db.rows("""
                SELECT id, order_id, carrier, tracking_number, created_at FROM shipments WHERE order_id IN (\(SQLList(orderIDs.map { SQLBind($0) })))
                ORDER BY created_at, id
                """).reduce(into: [String: [Shipment]]()) { byOrder, row in
                let shipment = Shipment(id: try row.decode(column: "id", as: String.self), orderID: try row.decode(column: "order_id", as: String.self),
                                        carrier: try row.decode(column: "carrier", as: String.self),
                                        trackingNumber: try row.decode(column: "tracking_number", as: String.self),
                                        createdAt: try row.decodeInstant(column: "created_at"))
                byOrder[shipment.orderID, default: []].append(shipment)
            }
        }
    }

    /// The fulfilment queue: paid orders with goods in `status`, oldest first for the warehouse
    /// (`unfulfilled`) and newest first otherwise.
    public func queue(_ status: FulfilmentStatus, limit: Int, after: String?) async throws -> [Order] {
        try await database.read { db in
            // Orders whose goods were all refunded before they left are not waiting for a parcel.
            let withGoods: SQLQueryString? = status == .unfulfilled ? """
                EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = orders.id AND i.kind = 'physical' AND (i.paid = 0 OR i.refunded < i.paid))
                """ : nil
            let condition = SQLQueryString.all(["fulfilment_status = \(bind: status.rawValue)", "status IN ('paid', 'partially_refunded')",
                                                withGoods, after.map { "id > \(bind: $0)" }])
            let ids = try await db.rows("""
                SELECT id FROM orders WHERE \(condition) ORDER BY id LIMIT \(bind: limit)
                """).map { try $0.decode(column: "id", as: String.self) }
            guard !ids.isEmpty else { return [] }
            return try OrderRepository.decodeOrders(try await db.rows("""
                SELECT \(unsafeRaw: OrderRepository.withLines) WHERE o.id IN (\(SQLList(ids.map { SQLBind($0) }))) ORDER BY o.id, i.position
                """))
        }
    }
}
