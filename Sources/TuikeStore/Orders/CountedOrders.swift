import SQLKit
import TuikeCore

/// The orders that count for their level-1 promoter (`Order.counts`): the one condition behind
/// ranks, tier ladders and the portal's conversion rate.
public enum CountedOrders {
    /// Counted orders paid from `from` through `through`, both included (`alias`: the orders'
    /// alias in a join).
    static func condition(from: Instant, through: Instant, alias: String? = nil) -> SQLQueryString {
        let o = alias.map { "\($0)." } ?? ""
        return """
            \(unsafeRaw: o)promoter_id IS NOT NULL AND \(unsafeRaw: o)self_referral = 0
                AND \(unsafeRaw: o)status IN (\(unsafeRaw: Order.countedStatuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")))
                AND \(unsafeRaw: o)paid_at >= \(bind: from.milliseconds) AND \(unsafeRaw: o)paid_at <= \(bind: through.milliseconds)
            """
    }

    static func count(promoterID: String, from: Instant, through: Instant, in db: any SQLDatabase) async throws -> Int64 {
        try await db.first("SELECT COUNT(*) AS n FROM orders WHERE promoter_id = \(bind: promoterID) AND \(condition(from: from, through: through))")
            .required("count", promoterID).decode(column: "n", as: Int64.self)
    }

    public static func count(promoterID: String, from: Instant, through: Instant, database: any Database) async throws -> Int64 {
        try await database.read { db in try await count(promoterID: promoterID, from: from, through: through, in: db) }
    }

    /// The index the counts read alone, and the order lines a retroactive ladder pays on, marked
    /// when the line is stored instead of searched for in its rule's JSON.
    static let migration = Migration(version: 14, name: "counted_orders", statements: [
        "DROP INDEX orders_by_promoter",
        "CREATE INDEX orders_by_promoter ON orders (promoter_id, paid_at, self_referral, status)",
        "ALTER TABLE order_items ADD COLUMN retroactive BIGINT NOT NULL DEFAULT 0",
        #"UPDATE order_items SET retroactive = 1 WHERE rule LIKE '%"tier_mode":"retroactive"%'"#,
    ])
}
