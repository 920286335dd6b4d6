import SQLKit
import TuikeCore

/// A tier-ladder adjustment is paid for lines of a month; those still frozen when the month
/// closed (goods not yet received or inside their after-sale window, group orders whose group has
/// not succeeded) hold it back too. The adjustment keeps the list of them, and whenever one of
/// their commissions gets a new date it takes the latest of them, never before month end.
enum TierAdjustmentDates {
    /// At most a month of one promoter's lines under one rule: chunked to stay within bind limits.
    static func link(_ commissionID: String, to itemIDs: [String], notBefore: Instant, in db: any SQLDatabase) async throws {
        for chunk in itemIDs.chunked(by: 200) {
            let rows = chunk.map { "(\(bind: commissionID), \(bind: $0), \(bind: notBefore.milliseconds))" as SQLQueryString }
            guard let first = rows.first else { continue }
            let values = rows.dropFirst().reduce(first) { $0 + ", " + $1 }
            try await db.execute("""
                INSERT INTO tier_adjustment_lines (commission_id, order_item_id, not_before) VALUES \(values)
                ON CONFLICT DO NOTHING
                """)
        }
    }

    /// Re-dates the pending adjustments that wait for any line of the order: the latest date of
    /// their lines' commissions that still count, or month end once none is later.
    static func redate(orderID: String, in db: any SQLDatabase) async throws {
        try await redate(ordersIn: "SELECT \(bind: orderID)", in: db)
    }

    /// The same for the orders a subquery names (the paid members of a group).
    static func redate(ordersIn orders: SQLQueryString, in db: any SQLDatabase) async throws {
        try await db.execute("""
            UPDATE commissions SET eligible_at = (
                SELECT CASE WHEN MAX(c.eligible_at) > MIN(t.not_before) THEN MAX(c.eligible_at) ELSE MIN(t.not_before) END
                FROM tier_adjustment_lines t LEFT JOIN commissions c ON c.order_item_id = t.order_item_id AND c.kind = 'order' AND c.level = 1
                    AND c.status NOT IN ('reversed', 'rejected')
                WHERE t.commission_id = commissions.id)
            WHERE kind = 'tier_adjustment' AND status IN ('pending', 'held') AND id IN (
                SELECT t.commission_id FROM tier_adjustment_lines t JOIN order_items i ON i.id = t.order_item_id WHERE i.order_id IN (\(orders)))
            """)
    }
}
