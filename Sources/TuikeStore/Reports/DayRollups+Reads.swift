import Foundation
import SQLKit
import TuikeCore

extension DayRollups {
    /// Traffic of a link or a promoter's links per day, and over all the days: rolled-up days
    /// from the rollups, the others (today, or any the rollups have not reached) from the clicks.
    /// Visitors over several days are the merged sketches' count: exact while few, an estimate
    /// (`visitorsEstimated`) beyond.
    public struct Traffic: Sendable, Equatable {
        public let daily: [ClickRepository.DayStats]
        public let clicks: Int64
        public let visitors: Int64
        public let bots: Int64
        public let visitorsEstimated: Bool
    }

    public func traffic(_ scope: ClickRepository.Scope, days: [CalendarDays.Day], timeZone: String) async throws -> Traffic {
        let key: String
        switch scope {
        case .link(let id): key = DayFigures.Scope.link(id).key
        case .promoter(let id): key = DayFigures.Scope.promoter(id).key
        }
        return try await database.read { db in
            let state = try await Self.state(in: db)
            let through = state?.timeZone == timeZone ? state?.through : nil
            let rolled = days.filter { day in through.map { day.end <= $0 } ?? false }
            var stats: [String: ClickRepository.DayStats] = [:]
            var sketch = VisitorSketch()
            if let first = rolled.first, let last = rolled.last {
                for row in try await db.rows("""
                    SELECT day, clicks, visitors, bots, sketch FROM day_rollups
                    WHERE scope = \(bind: key) AND day >= \(bind: first.label) AND day <= \(bind: last.label)
                    """) {
                    let day = try row.decode(column: "day", as: String.self)
                    stats[day] = .init(day: day, pv: try row.decode(column: "clicks", as: Int64.self), uv: try row.decode(column: "visitors", as: Int64.self),
                                       bots: try row.decode(column: "bots", as: Int64.self))
                    if let text = try row.decode(column: "sketch", as: String?.self), let data = Data(base64Encoded: text),
                       let day = VisitorSketch(bytes: Array(data)) {
                        sketch.merge(day)
                    }
                }
            }
            let open = days.filter { day in !rolled.contains(day) }
            for day in try await ClickRepository.daily(scope, days: open.map { .init(label: $0.label, start: $0.start, end: $0.end) }, in: db) {
                stats[day.day] = day
            }
            if let first = open.first, let last = open.last {
                for visitor in try await ClickRepository.visitors(scope, from: first.start, to: last.end, in: db) { sketch.add(visitor) }
            }
            let daily = days.map { stats[$0.label] ?? .init(day: $0.label, pv: 0, uv: 0, bots: 0) }
            // One day's visitors are exact whatever the sketch says.
            let single = daily.count == 1
            return Traffic(daily: daily, clicks: daily.reduce(0) { $0 &+ $1.pv }, visitors: single ? daily[0].uv : sketch.count,
                           bots: daily.reduce(0) { $0 &+ $1.bots }, visitorsEstimated: !single && !sketch.isExact)
        }
    }

    /// A scope's figures over `[from, to)`: the days rolled up that lie wholly inside, plus the
    /// rest counted from the rows. `days` are the day starts to report one by one (GMV per day).
    public func figures(_ scope: DayFigures.Scope, from: Instant, to: Instant) async throws -> DayFigures {
        let dialect = database.dialect
        return try await database.read { db in
            var total = DayFigures()
            let (rolled, rest) = try await Self.split(from: from, to: to, in: db)
            if let rolled {
                for row in try await db.rows("""
                    SELECT clicks, visitors, bots, sketch, orders, paid_orders, gmv, refunds, refunded, commissions, reversed FROM day_rollups
                    WHERE scope = \(bind: scope.key) AND starts_at >= \(bind: rolled.start.milliseconds) AND ends_at <= \(bind: rolled.end.milliseconds)
                    """) {
                    total.add(try Self.decode(row))
                }
            }
            for span in rest {
                if let counted = try await DayFigures.count(from: span.start, to: span.end, only: scope, dialect: dialect, in: db)[scope] { total.add(counted) }
            }
            return total
        }
    }

    /// The money flows of `[from, to)`, like `figures`.
    public func finance(from: Instant, to: Instant) async throws -> FinanceFigures {
        let dialect = database.dialect
        return try await database.read { db in
            var total = FinanceFigures()
            let (rolled, rest) = try await Self.split(from: from, to: to, in: db)
            if let rolled {
                let sums = FinanceFigures.columns.map { "CAST(COALESCE(SUM(\($0)), 0) AS BIGINT) AS \($0)" }.joined(separator: ", ")
                let row = try await db.one("""
                    SELECT \(unsafeRaw: sums) FROM finance_days
                    WHERE starts_at >= \(bind: rolled.start.milliseconds) AND ends_at <= \(bind: rolled.end.milliseconds)
                    """)
                total.add(FinanceFigures(values: try FinanceFigures.columns.map { try row.decode(column: $0, as: Int64.self) }))
            }
            for span in rest { total.add(try await FinanceFigures.count(from: span.start, to: span.end, dialect: dialect, in: db)) }
            return total
        }
    }

    /// `[from, to)` as the part the rollups cover (whole days, any time zone they were made in)
    /// and the spans before and after it, which are counted from the rows.
    static func split(from: Instant, to: Instant, in db: any SQLDatabase) async throws -> (rolled: (start: Instant, end: Instant)?, rest: [(start: Instant, end: Instant)]) {
        guard from < to else { return (nil, []) }
        let bounds = try await db.one("""
            SELECT MIN(starts_at) AS s, MAX(ends_at) AS e FROM finance_days WHERE starts_at >= \(bind: from.milliseconds) AND ends_at <= \(bind: to.milliseconds)
            """)
        guard let start = try bounds.decode(column: "s", as: Int64?.self), let end = try bounds.decode(column: "e", as: Int64?.self) else {
            return (nil, [(from, to)])
        }
        let rolled = (Instant(milliseconds: start), Instant(milliseconds: end))
        return (rolled, [(from, rolled.0), (rolled.1, to)].filter { $0.0 < $0.1 })
    }

    static func decode(_ row: any SQLRow) throws -> DayFigures {
        var figures = DayFigures()
        figures.clicks = try row.decode(column: "clicks", as: Int64.self)
        figures.visitors = try row.decode(column: "visitors", as: Int64.self)
        figures.bots = try row.decode(column: "bots", as: Int64.self)
        if let text = try row.decode(column: "sketch", as: String?.self), let data = Data(base64Encoded: text), let sketch = VisitorSketch(bytes: Array(data)) {
            figures.sketch = sketch
        }
        figures.orders = try row.decode(column: "orders", as: Int64.self)
        figures.paidOrders = try row.decode(column: "paid_orders", as: Int64.self)
        figures.gmv = try row.decode(column: "gmv", as: Int64.self)
        figures.refunds = try row.decode(column: "refunds", as: Int64.self)
        figures.refunded = try row.decode(column: "refunded", as: Int64.self)
        figures.commissions = try row.decode(column: "commissions", as: Int64.self)
        figures.reversed = try row.decode(column: "reversed", as: Int64.self)
        return figures
    }
}
