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
                let rolled = days.filter { day in through.map { day.end <= $0 } ?? false }
                var sums: [String: PromoterSums] = [:]
                var rest = start
                if let first = rolled.first, let last = rolled.last, let through {
                    sums = try await PromoterSums.rolled(first: first.label, last: last.label, through: through, database: database, in: db)
                    rest = last.end
                }
                // Today so far from its row (recounted once a minute), the minutes since from the rows.
                if let open = try await OpenDay.read(in: db), open.covers(start: rest, end: end) {
                    for (id, sale) in try await open.promoterSums(database: database, in: db) { sums[id, default: PromoterSums()].add(sale) }
                    rest = open.through
                }
                for (id, counted) in try await PromoterSums.count(from: rest, to: end, dialect: dialect, in: db) { sums[id, default: PromoterSums()].add(counted) }
                let entries = Leaderboard.rank(sums.mapValues { sum in
                    switch metric {
                    case .gmv: sum.gmv
                    case .orders: sum.orders
                    case .commission: sum.commission
                    }
                })
                let named = entries.prefix(limit).map(\.promoterID) + (alsoName.map { [$0] } ?? [])
                let names = try await PromoterRepository.names(named, in: db)
                return Board(start: start, end: end, entries: entries, names: names)
            }
        }
    }
}
