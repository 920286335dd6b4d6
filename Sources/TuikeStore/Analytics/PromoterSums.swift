import SQLKit
import TuikeCore

/// Each promoter's sales and commission over a span (`DayFigures` definitions, by the order's
/// level-1 promoter and the commission's promoter): paid orders and GMV less refunds, without
/// self-purchases, and commission earned less reversed. Finished days come from the rollups, summed once per day of rollups and
/// then kept (ten thousand active promoters make 300,000 rows a month); the rest from the rows.
struct PromoterSums: Sendable, Equatable {
    var orders: Int64 = 0
    var gmv: Int64 = 0
    var commission: Int64 = 0

    mutating func add(_ other: PromoterSums) {
        orders &+= other.orders
        gmv &+= other.gmv
        commission &+= other.commission
    }

    /// Every promoter's sums over the days `[first, last]` already rolled up, by label.
    static func rolled(first: String, last: String, through: Instant, database: any Database,
                       in db: any SQLDatabase) async throws -> [String: PromoterSums] {
        try await kept("\(database.cacheIdentity)|\(first)|\(last)|\(through.milliseconds)") {
            var sums: [String: PromoterSums] = [:]
            for row in try await db.rows("""
                SELECT scope, CAST(SUM(paid_orders - self_orders) AS BIGINT) AS orders, CAST(SUM(gmv - refunded - self_sales) AS BIGINT) AS gmv,
                    CAST(SUM(commissions - reversed) AS BIGINT) AS commission FROM day_rollups
                WHERE day >= \(bind: first) AND day <= \(bind: last) AND scope >= 'promoter:' AND scope < 'promoter;' GROUP BY scope
                """) {
                let value = PromoterSums(orders: try row.decode(column: "orders", as: Int64.self), gmv: try row.decode(column: "gmv", as: Int64.self),
                                         commission: try row.decode(column: "commission", as: Int64.self))
                if value != PromoterSums() { sums[String(try row.decode(column: "scope", as: String.self).dropFirst("promoter:".count))] = value }
            }
            return sums
        }
    }

    /// Every promoter's sums under a key that names them completely (`KeptValues`).
    static func kept(_ key: String, make: () async throws -> [String: PromoterSums]) async throws -> [String: PromoterSums] {
        try await store.value(key, make: make)
    }

    private static let store = KeptValues<[String: PromoterSums]>()

    /// Every promoter's sums over `[start, end)` from the rows, by aggregates in the database.
    static func count(from start: Instant, to end: Instant, dialect: Dialect, in db: any SQLDatabase) async throws -> [String: PromoterSums] {
        guard start < end else { return [:] }
        var sums = try await sales(from: start, to: end, dialect: dialect, in: db)
        for (id, amount) in try await DayFigures.earned(from: start, to: end, dialect: dialect, in: db).byPromoter {
            sums[id, default: PromoterSums()].commission &+= amount
        }
        return sums
    }

    /// Paid orders and GMV less refunds only (the commission left at 0).
    static func sales(from start: Instant, to end: Instant, dialect: Dialect, in db: any SQLDatabase) async throws -> [String: PromoterSums] {
        guard start < end else { return [:] }
        let within = MadeWithin(start: start, end: end, dialect: dialect)
        var sums: [String: PromoterSums] = [:]
        for row in try await db.rows("""
            SELECT o.promoter_id, COUNT(*) AS n, CAST(SUM(p.amount) AS BIGINT) AS amount FROM payments p JOIN orders o ON o.id = p.order_id
            WHERE \(within("p", prefix: "pay")) AND o.promoter_id IS NOT NULL AND o.self_referral = 0 GROUP BY o.promoter_id
            """) {
            let id = try row.decode(column: "promoter_id", as: String.self)
            sums[id, default: PromoterSums()].orders &+= try row.decode(column: "n", as: Int64.self)
            sums[id, default: PromoterSums()].gmv &+= try row.decode(column: "amount", as: Int64.self)
        }
        for row in try await db.rows("""
            SELECT o.promoter_id, CAST(SUM(r.amount) AS BIGINT) AS amount FROM refunds r JOIN orders o ON o.id = r.order_id
            WHERE \(within("r", prefix: "rfd")) AND o.promoter_id IS NOT NULL AND o.self_referral = 0 GROUP BY o.promoter_id
            """) {
            sums[try row.decode(column: "promoter_id", as: String.self), default: PromoterSums()].gmv &-= try row.decode(column: "amount", as: Int64.self)
        }
        return sums
    }
}
