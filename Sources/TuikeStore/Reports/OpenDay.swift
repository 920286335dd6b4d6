import Foundation
import SQLKit
import TuikeCore

/// Today so far: the program's figures, money flows and each promoter's earnings from the start
/// of the current day up to `through` (a minute or two ago), kept in one row that the rollup
/// sweep recounts once a minute. The dashboard and the reconciliation then count from the rows
/// only what came after `through`, a few minutes of them, instead of the whole day: at the end of
/// a busy day that is tens of thousands of clicks and orders per page view.
///
/// The row is recounted from scratch each time, never added to, so a recount that two instances
/// run at once, or a row that arrives late (within `DayRollups.lag`), cannot leave it wrong.
struct OpenDay: Sendable, Equatable {
    let day: String
    let startsAt: Instant
    let through: Instant
    let figures: DayFigures
    let finance: FinanceFigures
    let earned: [String: Int64]

    /// How often the sweep recounts the open day.
    static let refreshEvery: Int64 = 60_000

    private struct Stored: Codable {
        let figures: [Int64]
        let sketch: String
        let finance: [Int64]
        let earned: [String: Int64]
    }

    static func read(in db: any SQLDatabase) async throws -> OpenDay? {
        guard let row = try await db.first("SELECT day, starts_at, through, body FROM open_day WHERE id = 1") else { return nil }
        let stored = try JSONDecoder().decode(Stored.self, from: Data(try row.decode(column: "body", as: String.self).utf8))
        var figures = DayFigures()
        let f = stored.figures + Array(repeating: 0, count: max(0, 9 - stored.figures.count))
        (figures.clicks, figures.bots, figures.orders, figures.paidOrders, figures.gmv) = (f[0], f[1], f[2], f[3], f[4])
        (figures.refunds, figures.refunded, figures.commissions, figures.reversed) = (f[5], f[6], f[7], f[8])
        if let data = Data(base64Encoded: stored.sketch), let sketch = VisitorSketch(bytes: Array(data)) { figures.sketch = sketch }
        figures.visitors = figures.sketch.count
        return OpenDay(day: try row.decode(column: "day", as: String.self), startsAt: try row.decodeInstant(column: "starts_at"),
                       through: try row.decodeInstant(column: "through"), figures: figures, finance: FinanceFigures(values: stored.finance),
                       earned: stored.earned)
    }

    /// The part of `[start, end)` this row covers, if it covers its beginning: the row's day
    /// must start at `start` and its count must end within the span.
    func covers(start: Instant, end: Instant) -> Bool { startsAt == start && startsAt < through && through <= end }

    /// Recounts the day that `now` falls in, up to `DayRollups.lag` ago, once every closed day is
    /// rolled up (`through` of the rollups is the day's start) and the last count is a minute old.
    static func refresh(_ day: CalendarDays.Day, rolledThrough: Instant, now: Instant, database: any Database) async throws {
        let dialect = database.dialect
        let upTo = now.adding(milliseconds: -DayRollups.lag)
        guard rolledThrough == day.start, day.start < upTo, upTo <= day.end else { return }
        let fresh = try await database.read { db -> Bool in
            guard let kept = try await db.first("SELECT day, through FROM open_day WHERE id = 1") else { return false }
            return try kept.decode(column: "day", as: String.self) == day.label
                && upTo.milliseconds - (try kept.decode(column: "through", as: Int64.self)) < refreshEvery
        }
        guard !fresh else { return }
        let (counted, finance, sales) = try await database.read { db in
            (try await DayFigures.program(from: day.start, to: upTo, dialect: dialect, in: db),
             try await FinanceFigures.count(from: day.start, to: upTo, dialect: dialect, in: db),
             try await PromoterSums.sales(from: day.start, to: upTo, dialect: dialect, in: db))
        }
        let f = counted.figures
        let stored = Stored(figures: [f.clicks, f.bots, f.orders, f.paidOrders, f.gmv, f.refunds, f.refunded, f.commissions, f.reversed],
                            sketch: Data(f.sketch.bytes).base64EncodedString(), finance: finance.values, earned: counted.earned)
        let body = String(decoding: try JSONEncoder().encode(stored), as: UTF8.self)
        try await database.write { db in
            try await db.execute("""
                INSERT INTO open_day (id, day, starts_at, through, body) VALUES (1, \(bind: day.label), \(bind: day.start.milliseconds), \(bind: upTo.milliseconds), \(bind: body))
                ON CONFLICT (id) DO UPDATE SET day = excluded.day, starts_at = excluded.starts_at, through = excluded.through, body = excluded.body
                """)
            // Each promoter's sales beside the row, in the same write: the boards read them, the
            // dashboard's pages need not decode them.
            try await db.execute("DELETE FROM open_day_sales")
            let rows: [[RowValue]] = sales.sorted { $0.key < $1.key }.map { [.text($0.key), .int($0.value.orders), .int($0.value.gmv)] }
            for chunk in rows.chunked(by: 300) { try await db.insertRows(salesInsert, rows: Array(chunk)) }
        }
    }

    static let salesInsert = RowInsert(into: "open_day_sales", columns: ["promoter_id", "orders", "gmv"])

    /// Each promoter's paid orders and GMV less refunds of the open day, as of its `through`.
    static func sales(in db: any SQLDatabase) async throws -> [String: PromoterSums] {
        var sales: [String: PromoterSums] = [:]
        for row in try await db.rows("SELECT promoter_id, orders, gmv FROM open_day_sales") {
            sales[try row.decode(column: "promoter_id", as: String.self)] = PromoterSums(
                orders: try row.decode(column: "orders", as: Int64.self), gmv: try row.decode(column: "gmv", as: Int64.self))
        }
        return sales
    }

    static let salesMigration = Migration(version: 31, name: "open_day_sales", statements: [
        "CREATE TABLE open_day_sales (promoter_id TEXT PRIMARY KEY, orders BIGINT NOT NULL, gmv BIGINT NOT NULL)",
    ])

    static let migration = Migration(version: 20, name: "open_day", statements: [
        """
        CREATE TABLE open_day (
            id BIGINT PRIMARY KEY CHECK (id = 1),
            day TEXT NOT NULL,
            starts_at BIGINT NOT NULL,
            through BIGINT NOT NULL,
            body TEXT NOT NULL
        )
        """,
    ])
}
