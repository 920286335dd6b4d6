import SQLKit
import TuikeCore

/// Return on commission (rules §17) of the orders paid in a span, as they stand now: by product,
/// by level-1 promoter or by campaign rule. GMV is what their lines paid, refunded what has been
/// refunded of those lines since, commission what their commissions earned less what was
/// reversed, and `through` the GMV of the lines a promoter brought (not self-purchases).
public struct RoiQuery: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public enum Grouping: String, Sendable, CaseIterable { case product, promoter, campaign }

    public struct Row: Sendable, Equatable {
        public let key: String
        public var name: String
        public var orders: Int64 = 0
        public var gmv: Int64 = 0
        public var refunded: Int64 = 0
        public var commission: Int64 = 0
        public var through: Int64 = 0

        /// Commission per paid order, rounded half up; nil without orders.
        public var costPerOrder: Int64? { orders > 0 ? Money.share(commission, part: 1, whole: orders) : nil }
        /// The share of GMV a promoter brought, in bps.
        public var promoterShareBps: Int64? { gmv > 0 ? Money.share(Money.fullRate, part: through, whole: gmv) : nil }
    }

    /// Every group's row, biggest GMV first, and the whole span's.
    public func report(by grouping: Grouping, from: Instant, to: Instant) async throws -> (rows: [Row], total: Row) {
        let dialect = database.dialect
        return try await database.report { [database] in
            try await database.read { db in
                let within = MadeWithin(start: from, end: to, dialect: dialect)
                let key: SQLQueryString = switch grouping {
                case .product: "i.product_id"
                case .promoter: "COALESCE(o.promoter_id, '')"
                case .campaign: "i.rule_source"
                }
                let only: SQLQueryString = grouping == .campaign ? "AND i.rule_source LIKE 'campaign:%'" : ""
                // Summed by the database, a row per group: a payment's commissions are created with
                // it, so the span's commissions are those of the span's payments.
                var rows: [Row] = []
                let commissions: SQLQueryString = """
                    (SELECT m.order_item_id, CAST(SUM(m.amount - m.reversed) AS BIGINT) AS c FROM commissions m
                     WHERE \(within("m", prefix: "com")) AND m.kind = 'order' GROUP BY m.order_item_id)
                    """
                for row in try await db.rows("""
                    SELECT \(key) AS k, COUNT(DISTINCT o.id) AS orders, CAST(SUM(i.paid) AS BIGINT) AS gmv, CAST(SUM(i.refunded) AS BIGINT) AS refunded,
                        CAST(SUM(CASE WHEN o.promoter_id IS NOT NULL AND o.self_referral = 0 THEN i.paid ELSE 0 END) AS BIGINT) AS through,
                        CAST(SUM(COALESCE(m.c, 0)) AS BIGINT) AS commission
                    FROM payments p JOIN orders o ON o.id = p.order_id JOIN order_items i ON i.order_id = o.id
                        LEFT JOIN \(commissions) m ON m.order_item_id = i.id
                    WHERE \(within("p", prefix: "pay")) \(only) GROUP BY \(key)
                    """) {
                    let k = try row.decode(column: "k", as: String.self)
                    rows.append(Row(key: k, name: k, orders: try row.decode(column: "orders", as: Int64.self), gmv: try row.decode(column: "gmv", as: Int64.self),
                                    refunded: try row.decode(column: "refunded", as: Int64.self),
                                    commission: try row.decode(column: "commission", as: Int64.self), through: try row.decode(column: "through", as: Int64.self)))
                }
                var total = Row(key: "(total)", name: "(total)")
                for row in rows {
                    total.gmv &+= row.gmv
                    total.refunded &+= row.refunded
                    total.commission &+= row.commission
                    total.through &+= row.through
                }
                total.orders = try await db.one("""
                    SELECT COUNT(DISTINCT p.order_id) AS n FROM payments p \(unsafeRaw: grouping == .campaign ? "JOIN order_items i ON i.order_id = p.order_id" : "")
                    WHERE \(within("p", prefix: "pay")) \(only)
                    """).decode(column: "n", as: Int64.self)
                let names = try await Self.names(grouping, keys: rows.map(\.key), in: db)
                for index in rows.indices { rows[index].name = names[rows[index].key] ?? (rows[index].key.isEmpty ? "(direct)" : rows[index].key) }
                return (rows.sorted { ($0.gmv, $1.key) > ($1.gmv, $0.key) }, total)
            }
        }
    }

    static func names(_ grouping: Grouping, keys: [String], in db: any SQLDatabase) async throws -> [String: String] {
        switch grouping {
        case .promoter: return try await PromoterRepository.names(keys.filter { !$0.isEmpty }, in: db)
        case .campaign: return [:]
        case .product:
            var names: [String: String] = [:]
            for chunk in keys.chunked(by: 500) {
                for row in try await db.rows("SELECT id, title FROM products WHERE id IN (\(SQLList(chunk.map { SQLBind($0) })))") {
                    names[try row.decode(column: "id", as: String.self)] = try row.decode(column: "title", as: String.self)
                }
            }
            return names
        }
    }
}
