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
            // Each promoter's commission over the days: the rolled-up days' and today's counted part
            // are fixed by their `through`s, so their top five is made once per rollup or recount.
            var fixed: [[String: PromoterSums]] = []
            var key = "\(database.cacheIdentity)|top"
            if let first = rolled.first, let last = rolled.last {
                for row in try await db.rows("""
                    SELECT r.*, s.sketch FROM day_rollups r LEFT JOIN day_sketches s ON s.scope = r.scope AND s.day = r.day
                    WHERE r.scope = 'program' AND r.day >= \(bind: first.label) AND r.day <= \(bind: last.label)
                    """) {
                    perDay[try row.decode(column: "day", as: String.self)] = try DayRollups.decode(row)
                }
                if let through {
                    fixed.append(try await PromoterSums.rolled(first: first.label, last: last.label, through: through, database: database, in: db))
                    key += "|\(first.label)|\(last.label)|\(through.milliseconds)"
                }
            }
            var since: [String: Int64] = [:]
            let open = try await OpenDay.read(in: db)
            for day in days where !rolled.contains(day) {
                // Today so far from its row (`OpenDay`), the minutes since from the rows.
                var start = day.start
                var figures = DayFigures()
                if let open, open.covers(start: day.start, end: day.end), let today = try await open.promoterSums(database: database, in: db) {
                    figures = open.figures
                    fixed.append(today)
                    key += "|\(open.day)|\(open.through.milliseconds)"
                    start = open.through
                }
                let (counted, promoters) = try await DayFigures.program(from: start, to: day.end, dialect: dialect, in: db)
                figures.add(counted)
                perDay[day.label] = figures
                for (id, amount) in promoters where amount != 0 { since[id, default: 0] &+= amount }
            }
            var total = DayFigures()
            for day in days { if let figures = perDay[day.label] { total.add(figures) } }
            let top = since.isEmpty ? await Self.tops.value(key) { Self.top(fixed, since: [:]) } : Self.top(fixed, since: since)
            let names = try await PromoterRepository.names(top.map(\.id), in: db)
            return Figures(gmv: total.gmv, paidOrders: total.paidOrders, commissionCost: total.commissions &- total.reversed, clicks: total.clicks,
                           visitors: total.visitors, orders: total.orders,
                           daily: days.suffix(chartDays).map { ($0.label, perDay[$0.label]?.gmv ?? 0) },
                           top: top.map { (names[$0.id] ?? $0.id, $0.amount) })
        }
    }

    /// The five biggest commissions (earned less reversed; none that is 0), ties by id.
    static func top(_ parts: [[String: PromoterSums]], since: [String: Int64]) -> [(id: String, amount: Int64)] {
        var earned = since
        for part in parts { for (id, sums) in part where sums.commission != 0 { earned[id, default: 0] &+= sums.commission } }
        return earned.filter { $0.value != 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map { ($0.key, $0.value) }
    }

    static let tops = KeptValues<[(id: String, amount: Int64)]>()
}
