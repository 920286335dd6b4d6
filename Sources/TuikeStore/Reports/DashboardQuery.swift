import SQLKit
import TuikeCore

/// The console dashboard's figures over some days of the program's time zone: GMV, paid orders,
/// commission cost (earned less reversed), the funnel, daily GMV for a chart and the top promoters
/// by commission. Finished days come from the rollups (`DayRollups`), today up to a minute or two
/// ago from its running count (`OpenDay`), the rest is summed by the database (`DayFigures.program`).
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

    public func figures(days: [CalendarDays.Day], timeZone: String, chartDays: Int) async throws -> Figures {
        let dialect = database.dialect
        return try await database.read { db in
            let state = try await DayRollups.state(in: db)
            let through = state?.timeZone == timeZone ? state?.through : nil
            let rolled = days.filter { day in through.map { day.end <= $0 } ?? false }
            var perDay: [String: DayFigures] = [:]
            var earned: [String: Int64] = [:]
            if let first = rolled.first, let last = rolled.last {
                for row in try await db.rows("""
                    SELECT r.*, s.sketch FROM day_rollups r LEFT JOIN day_sketches s ON s.scope = r.scope AND s.day = r.day
                    WHERE r.scope = 'program' AND r.day >= \(bind: first.label) AND r.day <= \(bind: last.label)
                    """) {
                    perDay[try row.decode(column: "day", as: String.self)] = try DayRollups.decode(row)
                }
                if let through {
                    earned = try await PromoterSums.rolled(first: first.label, last: last.label, through: through, database: database, in: db)
                        .compactMapValues { $0.commission == 0 ? nil : $0.commission }
                }
            }
            let open = try await OpenDay.read(in: db)
            for day in days where !rolled.contains(day) {
                // Today so far from its row (`OpenDay`), the minutes since from the rows.
                var start = day.start
                var figures = DayFigures()
                if let open, open.covers(start: day.start, end: day.end), let today = try await open.promoterSums(database: database, in: db) {
                    figures = open.figures
                    for (id, sums) in today where sums.commission != 0 { earned[id, default: 0] &+= sums.commission }
                    start = open.through
                }
                let (counted, promoters) = try await DayFigures.program(from: start, to: day.end, dialect: dialect, in: db)
                figures.add(counted)
                perDay[day.label] = figures
                for (id, amount) in promoters { earned[id, default: 0] &+= amount }
            }
            var total = DayFigures()
            for day in days { if let figures = perDay[day.label] { total.add(figures) } }
            let top = earned.filter { $0.value != 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5)
            let names = try await PromoterRepository.names(top.map(\.key), in: db)
            return Figures(gmv: total.gmv, paidOrders: total.paidOrders, commissionCost: total.commissions &- total.reversed, clicks: total.clicks,
                           visitors: total.visitors, orders: total.orders,
                           daily: days.suffix(chartDays).map { ($0.label, perDay[$0.label]?.gmv ?? 0) },
                           top: top.map { (names[$0.key] ?? $0.key, $0.value) })
        }
    }
}
