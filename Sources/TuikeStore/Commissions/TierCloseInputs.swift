import SQLKit
import TuikeCore

/// What a month close saw, kept for the plan simulator to price a draft's retroactive ladders on
/// the month as a close would have (`LadderMonths`): each promoter's counted orders of the month
/// and rank bonus, and each line's refunds and whether the close left its commission out. What the
/// close itself used is kept as it used it (on PostgreSQL a refund may commit between two of its
/// statements); every other attributed line and promoter of the month is added from the rows, since
/// a draft may make any rule retroactive. A month of the large school is about 80,000 lines, found
/// through the month's payments (a key range on SQLite), once, inside the settlement's write.
enum TierCloseInputs {
    struct Seen: Sendable {
        var promoters: [String: LadderMonths.Close] = [:]
        /// Each line the close repriced, with what was refunded of it then.
        var refunded: [String: Int64] = [:]
    }

    static let monthInsert = RowInsert(into: "tier_close_months", columns: ["month_start", "promoter_id", "month_orders", "bonus_bps"])
    static let lineInsert = RowInsert(into: "tier_close_lines", columns: ["month_start", "order_item_id", "refunded", "excluded"])

    static func keep(_ seen: Seen, month: Instant, end: Instant, dialect: Dialect, in db: any SQLDatabase) async throws {
        let (start, stop) = (month.milliseconds, end.milliseconds)
        let promoters = seen.promoters.sorted { $0.key < $1.key }.map { id, close -> [RowValue] in
            [.int(start), .text(id), .int(close.monthOrders), .int(close.bonusBps)]
        }
        for chunk in promoters.chunked(by: 200) { try await db.insertRows(monthInsert, rows: Array(chunk)) }
        let lines = seen.refunded.sorted { $0.key < $1.key }.map { id, refunded -> [RowValue] in [.int(start), .text(id), .int(refunded), .int(0)] }
        for chunk in lines.chunked(by: 200) { try await db.insertRows(lineInsert, rows: Array(chunk)) }

        // The month's paid orders, through its payments (an order is taken once however many it has).
        let paid: SQLQueryString = """
            (SELECT DISTINCT p.order_id FROM payments p WHERE \(MadeWithin(start: month, end: end, dialect: dialect)("p", prefix: "pay"))) q
            """
        let join = dialect.kind == .sqlite ? "CROSS JOIN" : "JOIN"
        // Promoters of the month's orders and of its level-1 commissions (with linear attribution
        // an inactive first promoter passes level 1 to the next).
        try await db.execute("""
            INSERT INTO tier_close_months (month_start, promoter_id, month_orders, bonus_bps)
            SELECT \(bind: start), x.promoter_id,
                (SELECT COUNT(*) FROM orders o WHERE o.promoter_id = x.promoter_id
                    AND \(CountedOrders.condition(from: month, through: end.adding(milliseconds: -1), alias: "o"))),
                COALESCE((SELECT r.bonus_bps FROM promoters m JOIN ranks r ON r.id = m.rank_id WHERE m.id = x.promoter_id), 0)
            FROM (SELECT o.promoter_id FROM \(paid) \(unsafeRaw: join) orders o ON o.id = q.order_id
                    WHERE o.promoter_id IS NOT NULL AND o.paid_at >= \(bind: start) AND o.paid_at < \(bind: stop)
                  UNION
                  SELECT c.promoter_id FROM \(paid) \(unsafeRaw: join) commissions c ON c.order_id = q.order_id
                    WHERE c.kind = 'order' AND c.level = 1 AND c.created_at >= \(bind: start) AND c.created_at < \(bind: stop)) x
            WHERE NOT EXISTS (SELECT 1 FROM tier_close_months k WHERE k.month_start = \(bind: start) AND k.promoter_id = x.promoter_id)
            """)
        // Lines whose level-1 commission the close would leave out: reversed in full, or rejected.
        try await db.execute("""
            INSERT INTO tier_close_lines (month_start, order_item_id, refunded, excluded)
            SELECT \(bind: start), i.id, i.refunded,
                CASE WHEN EXISTS (SELECT 1 FROM commissions c WHERE c.order_id = o.id AND c.order_item_id = i.id AND c.level = 1 AND c.kind = 'order'
                    AND c.status IN ('reversed', 'rejected')) THEN 1 ELSE 0 END
            FROM \(paid) \(unsafeRaw: join) orders o ON o.id = q.order_id \(unsafeRaw: join) order_items i ON i.order_id = o.id
            WHERE o.promoter_id IS NOT NULL AND o.paid_at >= \(bind: start) AND o.paid_at < \(bind: stop)
                AND NOT EXISTS (SELECT 1 FROM tier_close_lines k WHERE k.month_start = \(bind: start) AND k.order_item_id = i.id)
            """)
    }

    static let migration = Migration(version: 37, name: "tier_close_inputs", statements: [
        """
        CREATE TABLE tier_close_months (
            month_start BIGINT NOT NULL,
            promoter_id TEXT NOT NULL,
            month_orders BIGINT NOT NULL,
            bonus_bps BIGINT NOT NULL,
            PRIMARY KEY (month_start, promoter_id)
        )
        """,
        """
        CREATE TABLE tier_close_lines (
            month_start BIGINT NOT NULL,
            order_item_id TEXT NOT NULL,
            refunded BIGINT NOT NULL,
            excluded BIGINT NOT NULL,
            PRIMARY KEY (month_start, order_item_id)
        )
        """,
        // Where each closed month ended: the simulator finds a month's lines by it, whatever the
        // time zone is now.
        "ALTER TABLE closed_months ADD COLUMN month_end BIGINT",
        // The simulator reads a span's month-end adjustments; they are few among the commissions.
        "CREATE INDEX commissions_tier_adjustments ON commissions (order_id) WHERE kind = 'tier_adjustment'",
    ])
}
