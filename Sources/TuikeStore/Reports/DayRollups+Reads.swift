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
        public let qr: Int64
        public let visitorsEstimated: Bool
    }

    public func traffic(_ scope: ClickRepository.Scope, days: [CalendarDays.Day], timeZone: String) async throws -> Traffic {
        let figuresScope: DayFigures.Scope = switch scope {
        case .link(let id): .link(id)
        case .promoter(let id): .promoter(id)
        }
        let key = figuresScope.key
        return try await database.read { db in
            let state = try await Self.state(in: db)
            let through = state?.timeZone == timeZone ? state?.through : nil
            let rolled = days.filter { day in through.map { day.end <= $0 } ?? false }
            var stats: [String: ClickRepository.DayStats] = [:]
            var sketch = VisitorSketch()
            if let first = rolled.first, let last = rolled.last {
                let range: SQLQueryString = "scope = \(bind: key) AND day >= \(bind: first.label) AND day <= \(bind: last.label)"
                for row in try await db.rows("SELECT day, clicks, visitors, bots, qr_clicks FROM day_rollups WHERE \(range)") {
                    let day = try row.decode(column: "day", as: String.self)
                    stats[day] = .init(day: day, pv: try row.decode(column: "clicks", as: Int64.self), uv: try row.decode(column: "visitors", as: Int64.self),
                                       bots: try row.decode(column: "bots", as: Int64.self), qr: try row.decode(column: "qr_clicks", as: Int64.self))
                }
                // Visitors over several days only: one day's count is exact in its row.
                if days.count > 1 {
                    for row in try await db.rows("SELECT sketch FROM day_sketches WHERE \(range)") {
                        if let data = Data(base64Encoded: try row.decode(column: "sketch", as: String.self)), let day = VisitorSketch(bytes: Array(data)) {
                            sketch.merge(day)
                        }
                    }
                }
            }
            // The other days from the clicks, in one pass over the index of the scope's links;
            // today up to the open day's count from the scope's row of it, so that the pass
            // reads only the minutes since.
            let open = days.filter { day in !rolled.contains(day) }
            if let first = open.first, let last = open.last {
                var counts = open.map { _ in (pv: Int64(0), bots: Int64(0), qr: Int64(0), visitors: Set<String>()) }
                var kept: (index: Int, figures: DayFigures, through: Instant)?
                if let current = try await OpenDay.read(in: db), let index = open.firstIndex(where: { current.covers(start: $0.start, end: $0.end) }),
                   let figures = try await current.figures(figuresScope, in: db) {
                    kept = (index, figures, current.through)
                }
                let skip: SQLQueryString = kept.map { "AND NOT (c.at >= \(bind: open[$0.index].start.milliseconds) AND c.at < \(bind: $0.through.milliseconds))" } ?? ""
                let passStart = open.count == 1 ? kept?.through ?? first.start : first.start
                for row in try await db.rows("""
                    SELECT c.at, c.is_bot, c.visitor_id, c.source FROM clicks c
                    WHERE \(ClickRepository.filter(scope)) AND c.at >= \(bind: passStart.milliseconds) AND c.at < \(bind: last.end.milliseconds) \(skip)
                    """) {
                    let at = Instant(milliseconds: try row.decode(column: "at", as: Int64.self))
                    guard let index = open.firstIndex(where: { $0.start <= at && at < $0.end }) else { continue }
                    if try row.decode(column: "is_bot", as: Int64.self) != 0 {
                        counts[index].bots &+= 1
                    } else {
                        let visitor = try row.decode(column: "visitor_id", as: String.self)
                        counts[index].pv &+= 1
                        if try row.decode(column: "source", as: String?.self).flatMap(MaterialKey.init)?.isScan == true { counts[index].qr &+= 1 }
                        counts[index].visitors.insert(visitor)
                    }
                }
                for (index, day) in open.enumerated() {
                    var (pv, uv, bots, qr) = (counts[index].pv, Int64(counts[index].visitors.count), counts[index].bots, counts[index].qr)
                    if let kept, kept.index == index {
                        // Exact still: the count's visitors and those of the minutes since who
                        // had not clicked in the scope earlier that day.
                        let returning = try await Self.seen(counts[index].visitors, scope: scope, from: day.start, to: kept.through,
                                                            dialect: database.dialect, in: db)
                        (pv, bots, qr) = (pv &+ kept.figures.clicks, bots &+ kept.figures.bots, qr &+ kept.figures.qrClicks)
                        uv = kept.figures.visitors &+ Int64(counts[index].visitors.subtracting(returning).count)
                        sketch.merge(kept.figures.sketch)
                    }
                    stats[day.label] = .init(day: day.label, pv: pv, uv: uv, bots: bots, qr: qr)
                    for visitor in counts[index].visitors { sketch.add(visitor) }
                }
            }
            let daily = days.map { stats[$0.label] ?? .init(day: $0.label, pv: 0, uv: 0, bots: 0, qr: 0) }
            // One day's visitors are exact whatever the sketch says.
            let single = daily.count == 1
            return Traffic(daily: daily, clicks: daily.reduce(0) { $0 &+ $1.pv }, visitors: single ? daily[0].uv : sketch.count,
                           bots: daily.reduce(0) { $0 &+ $1.bots }, qr: daily.reduce(0) { $0 &+ $1.qr }, visitorsEstimated: !single && !sketch.isExact)
        }
    }

    /// Which of `visitors` clicked in the scope (not as bots) in `[from, to)`: found through the
    /// visitors' index (SQLite is kept off the links' index, which holds the scope's whole day).
    static func seen(_ visitors: Set<String>, scope: ClickRepository.Scope, from: Instant, to: Instant, dialect: Dialect,
                     in db: any SQLDatabase) async throws -> Set<String> {
        let link = dialect.kind == .sqlite ? "+c.link_id" : "c.link_id"
        let filter: SQLQueryString = switch scope {
        case .promoter(let id): "\(unsafeRaw: link) IN (SELECT l.id FROM links l WHERE l.promoter_id = \(bind: id))"
        case .link(let id): "\(unsafeRaw: link) = \(bind: id)"
        }
        var seen: Set<String> = []
        for chunk in visitors.sorted().chunked(by: 500) {
            for row in try await db.rows("""
                SELECT DISTINCT c.visitor_id FROM clicks c WHERE c.visitor_id IN (\(SQLList(chunk.map { SQLBind($0) })))
                    AND c.at >= \(bind: from.milliseconds) AND c.at < \(bind: to.milliseconds) AND c.is_bot = 0 AND \(filter)
                """) {
                seen.insert(try row.decode(column: "visitor_id", as: String.self))
            }
        }
        return seen
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
                    SELECT r.clicks, r.visitors, r.bots, s.sketch, r.orders, r.paid_orders, r.gmv, r.refunds, r.refunded, r.commissions, r.reversed,
                        r.qr_clicks, r.pay_delays, r.self_orders, r.self_sales
                    FROM day_rollups r LEFT JOIN day_sketches s ON s.scope = r.scope AND s.day = r.day
                    WHERE r.scope = \(bind: scope.key) AND r.starts_at >= \(bind: rolled.start.milliseconds) AND r.ends_at <= \(bind: rolled.end.milliseconds)
                    """) {
                    total.add(try Self.decode(row))
                }
            }
            let open = try await OpenDay.read(in: db)
            for span in rest {
                // Today so far from the open day's rows, the minutes since from the rows.
                if let open, open.covers(start: span.start, end: span.end), let today = try await open.figures(scope, in: db) {
                    total.add(today)
                    total.add(try await DayFigures.one(scope, from: open.through, to: span.end, dialect: dialect, in: db))
                } else {
                    total.add(try await DayFigures.one(scope, from: span.start, to: span.end, dialect: dialect, in: db))
                }
            }
            return total
        }
    }

    /// Several scopes' figures over `[from, to)` added up (a video's links), like `figures`:
    /// visitors are the merged sketches' count.
    public func figures(_ scopes: [DayFigures.Scope], from: Instant, to: Instant) async throws -> DayFigures {
        let dialect = database.dialect
        let keys = scopes.map(\.key)
        let wanted = Set(scopes)
        return try await database.read { db in
            var total = DayFigures()
            let (rolled, rest) = try await Self.split(from: from, to: to, in: db)
            if let rolled {
                for chunk in keys.chunked(by: 500) {
                    for row in try await db.rows("""
                        SELECT r.clicks, r.visitors, r.bots, s.sketch, r.orders, r.paid_orders, r.gmv, r.refunds, r.refunded, r.commissions, r.reversed,
                            r.qr_clicks, r.pay_delays, r.self_orders, r.self_sales
                        FROM day_rollups r LEFT JOIN day_sketches s ON s.scope = r.scope AND s.day = r.day
                        WHERE r.scope IN (\(SQLList(chunk.map { SQLBind($0) }))) AND r.starts_at >= \(bind: rolled.start.milliseconds)
                            AND r.ends_at <= \(bind: rolled.end.milliseconds)
                        """) {
                        total.add(try Self.decode(row))
                    }
                }
            }
            let open = try await OpenDay.read(in: db)
            for span in rest {
                var start = span.start
                if let open, open.covers(start: span.start, end: span.end), let today = try await open.figures(keys, in: db) {
                    for figures in today { total.add(figures) }
                    start = open.through
                }
                // The few minutes since the count: every scope's rows at once. A longer span (a
                // range that starts within a day, the rollups catching up): each scope's own.
                if span.end.milliseconds - start.milliseconds <= 3_600_000 {
                    for (scope, figures) in try await DayFigures.count(from: start, to: span.end, dialect: dialect, in: db) where wanted.contains(scope) {
                        total.add(figures)
                    }
                } else {
                    for scope in scopes { total.add(try await DayFigures.one(scope, from: start, to: span.end, dialect: dialect, in: db)) }
                }
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
            let open = try await OpenDay.read(in: db)
            for span in rest {
                // Today so far from its row, the minutes since from the rows.
                if let open, open.covers(start: span.start, end: span.end) {
                    total.add(open.finance)
                    total.add(try await FinanceFigures.count(from: open.through, to: span.end, dialect: dialect, in: db))
                } else {
                    total.add(try await FinanceFigures.count(from: span.start, to: span.end, dialect: dialect, in: db))
                }
            }
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
        if row.contains(column: "sketch"), let text = try row.decode(column: "sketch", as: String?.self), let data = Data(base64Encoded: text),
           let sketch = VisitorSketch(bytes: Array(data)) {
            figures.sketch = sketch
        }
        figures.orders = try row.decode(column: "orders", as: Int64.self)
        figures.paidOrders = try row.decode(column: "paid_orders", as: Int64.self)
        figures.gmv = try row.decode(column: "gmv", as: Int64.self)
        figures.refunds = try row.decode(column: "refunds", as: Int64.self)
        figures.refunded = try row.decode(column: "refunded", as: Int64.self)
        figures.commissions = try row.decode(column: "commissions", as: Int64.self)
        figures.reversed = try row.decode(column: "reversed", as: Int64.self)
        if row.contains(column: "qr_clicks") { figures.qrClicks = try row.decode(column: "qr_clicks", as: Int64.self) }
        if row.contains(column: "self_orders") {
            figures.selfOrders = try row.decode(column: "self_orders", as: Int64.self)
            figures.selfSales = try row.decode(column: "self_sales", as: Int64.self)
        }
        if row.contains(column: "pay_delays"), let delays = DelayHistogram(encoded: try row.decode(column: "pay_delays", as: String.self)) {
            figures.payDelays = delays
        }
        return figures
    }
}
