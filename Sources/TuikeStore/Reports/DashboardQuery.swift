import SQLKit
import TuikeCore

/// The console dashboard's figures since an instant: GMV, paid orders, commission cost, the
/// funnel, daily GMV for a chart and the top promoters by commission.
public struct DashboardQuery: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public struct Figures: Sendable {
        public let gmv: Int64
        public let paidOrders: Int64
        public let commissionCost: Int64
        public let clicks: Int64
        public let visitors: Int64
        public let orders: Int64
        /// (day start, GMV) for each day asked for.
        public let daily: [(Instant, Int64)]
        public let top: [(name: String, amount: Int64)]
    }

    public func figures(since: Instant, days: [Instant]) async throws -> Figures {
        let from = since.milliseconds
        return try await database.read { db in
            func number(_ query: SQLQueryString) async throws -> Int64 {
                try await db.one("SELECT CAST(COALESCE((\(query)), 0) AS BIGINT) AS n").decode(column: "n", as: Int64.self)
            }
            var daily: [(Instant, Int64)] = []
            for start in days {
                daily.append((start, try await number("""
                    SELECT SUM(amount) FROM payments WHERE created_at >= \(bind: start.milliseconds) AND created_at < \(bind: start.adding(seconds: 86_400).milliseconds)
                    """)))
            }
            let top = try await db.rows("""
                SELECT p.name AS name, CAST(SUM(c.amount - c.reversed) AS BIGINT) AS amount FROM commissions c JOIN promoters p ON p.id = c.promoter_id
                WHERE c.created_at >= \(bind: from) GROUP BY p.id, p.name ORDER BY amount DESC LIMIT 5
                """).map { (try $0.decode(column: "name", as: String.self), try $0.decode(column: "amount", as: Int64.self)) }
            return Figures(
                gmv: try await number("SELECT SUM(amount) FROM payments WHERE created_at >= \(bind: from)"),
                paidOrders: try await number("SELECT COUNT(*) FROM orders WHERE paid_at >= \(bind: from)"),
                commissionCost: try await number("SELECT SUM(amount - reversed) FROM commissions WHERE created_at >= \(bind: from)"),
                clicks: try await number("SELECT COUNT(*) FROM clicks WHERE is_bot = 0 AND at >= \(bind: from)"),
                visitors: try await number("SELECT COUNT(DISTINCT visitor_id) FROM clicks WHERE is_bot = 0 AND at >= \(bind: from)"),
                orders: try await number("SELECT COUNT(*) FROM orders WHERE created_at >= \(bind: from)"),
                daily: daily, top: top)
        }
    }
}
