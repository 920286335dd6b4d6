import SQLKit
import TuikeCore

/// The console dashboard's figures over some days of the program's time zone: GMV, paid orders,
/// commission cost (earned less reversed), the funnel, daily GMV for a chart and the top promoters
/// by commission. Finished days come from the rollups (`DayRollups`), today from the rows.
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
        /// (day, GMV) for each of the last `chartDays` days.
        public let daily: [(String, Int64)]
        public let top: [(name: String, amount: Int64)]
    }

    public func figures(days: [CalendarDays.Day], chartDays: Int) async throws -> Figures {
        let rollups = DayRollups(database: database)
        guard let first = days.first, let last = days.last else { throw TuikeError.validation("no days to show") }
        let total = try await rollups.figures(.program, from: first.start, to: last.end)
        var daily: [(String, Int64)] = []
        for day in days.suffix(chartDays) {
            daily.append((day.label, try await rollups.figures(.program, from: day.start, to: day.end).gmv))
        }
        let top = try await rollups.topPromoters(from: first.start, to: last.end, limit: 5)
        let names = try await database.read { db in
            guard !top.isEmpty else { return [String: String]() }
            return try await db.rows("SELECT id, name FROM promoters WHERE id IN (\(SQLList(top.map { SQLBind($0.promoterID) })))")
                .reduce(into: [String: String]()) { $0[try $1.decode(column: "id", as: String.self)] = try $1.decode(column: "name", as: String.self) }
        }
        return Figures(gmv: total.gmv, paidOrders: total.paidOrders, commissionCost: total.commissions &- total.reversed, clicks: total.clicks,
                       visitors: total.visitors, orders: total.orders, daily: daily,
                       top: top.map { (names[$0.promoterID] ?? $0.promoterID, $0.amount) })
    }
}
