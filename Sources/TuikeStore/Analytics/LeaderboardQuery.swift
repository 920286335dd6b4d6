import SQLKit
import TuikeCore

/// Leaderboards (`Leaderboard`): every promoter's paid orders, GMV less refunds and commission
/// over a calendar period, from the rollups for its finished days and the rows for the rest.
public struct LeaderboardQuery: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public struct Board: Sendable, Equatable {
        public let start: Instant
        public let end: Instant
        /// Every promoter with a positive value, ranked.
        public let entries: [Leaderboard.Entry]
        public let names: [String: String]
    }

    /// The board of the `period` containing `at`, on `metric`, with the names of the first
    /// `limit` entries and of `alsoName` (a promoter looking for its own place).
    public func board(_ period: CalendarPeriod, metric: Leaderboard.Metric, at: Instant, timeZone: String, limit: Int,
                      alsoName: String? = nil) async throws -> Board {
        let (start, end) = try period.bounds(at: at, timeZone: timeZone)
        let days = try CalendarDays.days(from: start, to: end.adding(milliseconds: -1), timeZone: timeZone)
        let dialect = database.dialect
        return try await database.report { [database] in
            try await database.read { db in
                let state = try await DayRollups.state(in: db)
                let through = state?.timeZone == timeZone ? state?.through : nil
                let finished = days.filter { day in through.map { day.end <= $0 } ?? false }
                // The finished days and today's count so far are fixed by their `through`s: summed,
                // and each metric's ranking made, once per rollup or recount, then kept.
                let rolled = finished.last.flatMap { last in through.map { (first: finished.first ?? last, last: last, through: $0) } }
                var open = try await OpenDay.read(in: db).flatMap { $0.covers(start: rolled?.last.end ?? start, end: end) ? $0 : nil }
                // Recounted since it was read: today is then counted from the rows.
                let today = try await open?.promoterSums(database: database, in: db)
                if today == nil { open = nil }
                let key = "\(database.cacheIdentity)|board|\(start.milliseconds)|\(rolled.map { "\($0.first.label)|\($0.last.label)|\($0.through.milliseconds)" } ?? "-")"
                    + "|\(open.map { "\($0.day)|\($0.through.milliseconds)" } ?? "-")"
                let base = try await PromoterSums.kept(key) {
                    var sums: [String: PromoterSums] = [:]
                    if let rolled {
                        sums = try await PromoterSums.rolled(first: rolled.first.label, last: rolled.last.label, through: rolled.through,
                                                             database: database, in: db)
                    }
                    for (id, sale) in today ?? [:] { sums[id, default: PromoterSums()].add(sale) }
                    return sums
                }
                // The minutes since from the rows: with none, the kept ranking is the board.
                let rest = open?.through ?? rolled?.last.end ?? start
                let since = try await PromoterSums.count(from: rest, to: end, dialect: dialect, in: db)
                let entries: [Leaderboard.Entry]
                if since.isEmpty {
                    entries = await Self.rankings.value("\(key)|\(metric.rawValue)") { Self.rank(base, metric: metric) }
                } else {
                    var sums = base
                    for (id, counted) in since { sums[id, default: PromoterSums()].add(counted) }
                    entries = Self.rank(sums, metric: metric)
                }
                let named = entries.prefix(limit).map(\.promoterID) + (alsoName.map { [$0] } ?? [])
                let names = try await PromoterRepository.names(named, in: db)
                return Board(start: start, end: end, entries: entries, names: names)
            }
        }
    }

    static func rank(_ sums: [String: PromoterSums], metric: Leaderboard.Metric) -> [Leaderboard.Entry] {
        Leaderboard.rank(sums.mapValues { sum in
            switch metric {
            case .gmv: sum.gmv
            case .orders: sum.orders
            case .commission: sum.commission
            }
        })
    }

    /// Rankings of kept sums, by their key and the metric.
    static let rankings = KeptValues<[Leaderboard.Entry]>()
}
