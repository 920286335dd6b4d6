import SQLKit
import TuikeCore

/// Stock taken by an order line and put back, inside the caller's transaction. A line's
/// `restocked` counts the units it has put back, so a cancellation, a return received and a
/// refund of goods that never shipped together never return more units than the line took.
enum Stock {
    /// Takes the line's units in the statement that checks them: stock never goes below zero.
    /// A product without a stock limit is not written at all: on PostgreSQL an update would lock
    /// its row until commit and make every order of a bestseller wait for the one before.
    static func take(_ item: Order.Item, in db: any SQLDatabase) async throws {
        if let skuID = item.skuID {
            guard try await db.first("""
                UPDATE product_skus SET stock = stock - \(bind: item.quantity) WHERE id = \(bind: skuID) AND stock >= \(bind: item.quantity) RETURNING id
                """) != nil else {
                throw TuikeError(.conflict, code: "out_of_stock", "not enough stock of \(item.title) \(item.sku ?? "")")
            }
            return
        }
        let stock = try await db.first("SELECT stock FROM products WHERE id = \(bind: item.productID)")
        if let stock, try stock.decodeNil(column: "stock") { return }
        guard try await db.first("""
            UPDATE products SET stock = stock - \(bind: item.quantity)
            WHERE id = \(bind: item.productID) AND stock >= \(bind: item.quantity) RETURNING id
            """) != nil else { throw TuikeError(.conflict, code: "out_of_stock", "not enough stock of \(item.title)") }
    }

    /// Takes the units of an order whose stock went back when it was cancelled (a group order paid
    /// late), all or nothing: false, with nothing taken, when any line is short.
    static func retake(orderID: String, in db: any SQLDatabase) async throws -> Bool {
        let lines = try await db.rows("""
            SELECT id, product_id, sku_id, quantity, restocked FROM order_items WHERE order_id = \(bind: orderID) AND restocked > 0 ORDER BY position
            """)
        var taken: [(productID: String, skuID: String?, units: Int64)] = []
        for line in lines {
            let productID = try line.decode(column: "product_id", as: String.self), skuID = try line.decode(column: "sku_id", as: String?.self)
            let units = try line.decode(column: "restocked", as: Int64.self)
            let took: Bool
            if let skuID {
                took = try await db.first("""
                    UPDATE product_skus SET stock = stock - \(bind: units) WHERE id = \(bind: skuID) AND stock >= \(bind: units) RETURNING id
                    """) != nil
            } else {
                took = try await db.first("""
                    UPDATE products SET stock = stock - \(bind: units) WHERE id = \(bind: productID) AND (stock IS NULL OR stock >= \(bind: units)) RETURNING id
                    """) != nil
            }
            guard took else {
                for earlier in taken { try await add(earlier.units, productID: earlier.productID, skuID: earlier.skuID, in: db) }
                return false
            }
            taken.append((productID, skuID, units))
        }
        try await db.execute("UPDATE order_items SET restocked = 0 WHERE order_id = \(bind: orderID)")
        return true
    }

    /// Puts up to `units` of the line back, never more than it took over all its returns.
    static func giveBack(itemID: String, units: Int64, in db: any SQLDatabase) async throws {
        guard units > 0, let line = try await db.first("""
            SELECT product_id, sku_id, quantity, restocked FROM order_items WHERE id = \(bind: itemID)
            """) else { return }
        let left = try line.decode(column: "quantity", as: Int64.self) - line.decode(column: "restocked", as: Int64.self)
        let back = min(units, left)
        guard back > 0 else { return }
        try await db.execute("UPDATE order_items SET restocked = restocked + \(bind: back) WHERE id = \(bind: itemID)")
        try await add(back, productID: try line.decode(column: "product_id", as: String.self), skuID: try line.decode(column: "sku_id", as: String?.self),
                      in: db)
    }

    /// Every line of the order back in full (a cancellation).
    static func giveBackAll(orderID: String, in db: any SQLDatabase) async throws {
        for row in try await db.rows("SELECT id, quantity FROM order_items WHERE order_id = \(bind: orderID) ORDER BY position") {
            try await giveBack(itemID: try row.decode(column: "id", as: String.self), units: try row.decode(column: "quantity", as: Int64.self), in: db)
        }
    }

    private static func add(_ units: Int64, productID: String, skuID: String?, in db: any SQLDatabase) async throws {
        if let skuID {
            try await db.execute("UPDATE product_skus SET stock = stock + \(bind: units) WHERE id = \(bind: skuID)")
        } else {
            try await db.execute("UPDATE products SET stock = stock + \(bind: units) WHERE id = \(bind: productID) AND stock IS NOT NULL")
        }
    }
}
