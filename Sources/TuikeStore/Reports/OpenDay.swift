import Foundation
import SQLKit
import TuikeCore

/// Today so far: every scope's figures (`DayFigures`: the program, each promoter, link, product
/// and material) and the money flows from the start of the current day up to `through` (a minute
/// or two ago), which the rollup sweep recounts once a minute. Reads of today then count from the
/// rows only what came after `through`, a few minutes of them, instead of the whole day: at the
/// end of a busy day that is tens of thousands of clicks and orders per page view, and a third of
/// them for the busiest promoter's funnel.
///
/// The program's figures and the money flows are one row (`open_day`); the other scopes are rows
/// of `open_day_rollups`, the same columns as a finished day's. Each count is made from scratch,
/// never added to, so a row that arrives late (within `DayRollups.lag`) cannot leave it wrong;
/// only the scopes whose figures changed are written, and only if no other instance recounted in
/// between (`through` is the version the write is conditional on).
struct OpenDay: Sendable, Equatable {
    let day: String
    let startsAt: Instant
    let through: Instant
    let figures: DayFigures
    let finance: FinanceFigures

    /// How often the sweep recounts the open day.
    static let refreshEvery: Int64 = 60_000

    private struct Stored: Codable {
        let figures: [Int64]
        let sketch: String
        let finance: [Int64]
        let delays: String?
    }

    static func read(in db: any SQLDatabase) async throws -> OpenDay? {
        guard let row = try await db.first("SELECT day, starts_at, through, body FROM open_day WHERE id = 1") else { return nil }
        let stored = try JSONDecoder().decode(Stored.self, from: Data(try row.decode(column: "body", as: String.self).utf8))
        var figures = DayFigures()
        let f = stored.figures + Array(repeating: 0, count: max(0, 11 - stored.figures.count))
        (figures.clicks, figures.bots, figures.orders, figures.paidOrders, figures.gmv) = (f[0], f[1], f[2], f[3], f[4])
        (figures.refunds, figures.refunded, figures.commissions, figures.reversed) = (f[5], f[6], f[7], f[8])
        (figures.selfOrders, figures.selfSales) = (f[9], f[10])
        if let data = Data(base64Encoded: stored.sketch), let sketch = VisitorSketch(bytes: Array(data)) { figures.sketch = sketch }
        figures.visitors = figures.sketch.count
        if let delays = stored.delays.flatMap(DelayHistogram.init(encoded:)) { figures.payDelays = delays }
        return OpenDay(day: try row.decode(column: "day", as: String.self), startsAt: try row.decodeInstant(column: "starts_at"),
                       through: try row.decodeInstant(column: "through"), figures: figures, finance: FinanceFigures(values: stored.finance))
    }

    /// The part of `[start, end)` this row covers, if it covers its beginning: the row's day
    /// must start at `start` and its count must end within the span.
    func covers(start: Instant, end: Instant) -> Bool { startsAt == start && startsAt < through && through <= end }

    /// A scope's figures so far today (the program's from the row itself; zero if it had none),
    /// or nil if the day was recounted since this row was read: the caller then counts the span
    /// from the rows. Each read of scope rows is one statement that also reads the open day's
    /// `through`, so rows of a newer count are never added to minutes counted from an older one.
    func figures(_ scope: DayFigures.Scope, in db: any SQLDatabase) async throws -> DayFigures? {
        guard scope != .program else { return figures }
        return try await figures(of: "r.scope = \(bind: scope.key)", in: db)?.first ?? nil
    }

    /// Several scopes' figures so far today, or nil as for one.
    func figures(_ keys: [String], in db: any SQLDatabase) async throws -> [DayFigures]? {
        var all: [DayFigures] = []
        for chunk in keys.chunked(by: 500) {
            guard let some = try await figures(of: "r.scope IN (\(SQLList(chunk.map { SQLBind($0) })))", in: db) else { return nil }
            all += some
        }
        return all
    }

    private func figures(of condition: SQLQueryString, in db: any SQLDatabase) async throws -> [DayFigures]? {
        var figures: [DayFigures] = []
        var current = false
        for row in try await db.rows("""
            SELECT d.day AS open_label, d.through AS open_through, r.* FROM open_day d LEFT JOIN open_day_rollups r ON \(condition) WHERE d.id = 1
            """) {
            guard try isCurrent(row) else { return nil }
            current = true
            if try row.decode(column: "scope", as: String?.self) != nil { figures.append(try DayRollups.decode(row)) }
        }
        return current ? figures : nil
    }

    private func isCurrent(_ row: any SQLRow) throws -> Bool {
        try row.decode(column: "open_label", as: String.self) == day && row.decode(column: "open_through", as: Int64.self) == through.milliseconds
    }

    private struct Recounted: Error {}

    /// Every promoter's sums so far today (`PromoterSums`), read once per count and kept; nil as
    /// for `figures`.
    func promoterSums(database: any Database, in db: any SQLDatabase) async throws -> [String: PromoterSums]? {
        let key = "\(database.cacheIdentity)|open|\(day)|\(through.milliseconds)"
        do {
            return try await PromoterSums.kept(key) {
                var sums: [String: PromoterSums] = [:]
                var current = false
                for row in try await db.rows("""
                    SELECT d.day AS open_label, d.through AS open_through, r.scope, r.paid_orders - r.self_orders AS orders,
                        r.gmv - r.refunded - r.self_sales AS sales, r.commissions - r.reversed AS commission
                    FROM open_day d LEFT JOIN open_day_rollups r ON r.scope >= 'promoter:' AND r.scope < 'promoter;' WHERE d.id = 1
                    """) {
                    guard try isCurrent(row) else { throw Recounted() }
                    current = true
                    guard let scope = try row.decode(column: "scope", as: String?.self) else { continue }
                    let value = PromoterSums(orders: try row.decode(column: "orders", as: Int64.self), gmv: try row.decode(column: "sales", as: Int64.self),
                                             commission: try row.decode(column: "commission", as: Int64.self))
                    if value != PromoterSums() { sums[String(scope.dropFirst("promoter:".count))] = value }
                }
                guard current else { throw Recounted() }
                return sums
            }
        } catch is Recounted {
            return nil
        }
    }

    /// Recounts the day that `now` falls in, up to `DayRollups.lag` ago, once every closed day is
    /// rolled up (`through` of the rollups is the day's start) and the last count is a minute old.
    static func refresh(_ day: CalendarDays.Day, rolledThrough: Instant, now: Instant, database: any Database) async throws {
        let dialect = database.dialect
        let upTo = now.adding(milliseconds: -DayRollups.lag)
        guard rolledThrough == day.start, day.start < upTo, upTo <= day.end else { return }
        let kept = try await database.read { db -> (day: String, through: Int64)? in
            try await db.first("SELECT day, through FROM open_day WHERE id = 1").map {
                (try $0.decode(column: "day", as: String.self), try $0.decode(column: "through", as: Int64.self))
            }
        }
        if let kept, kept.day == day.label, upTo.milliseconds - kept.through < refreshEvery { return }
        // The new count, and the stored one it replaces (the same day's only), both outside the writer.
        let (counted, finance, stored) = try await database.read { db in
            (try await DayFigures.count(from: day.start, to: upTo, dialect: dialect, in: db),
             try await FinanceFigures.count(from: day.start, to: upTo, dialect: dialect, in: db),
             kept?.day == day.label ? try await storedScopes(in: db) : nil)
        }
        let f = counted[.program] ?? DayFigures()
        let body = String(decoding: try JSONEncoder().encode(Stored(
            figures: [f.clicks, f.bots, f.orders, f.paidOrders, f.gmv, f.refunds, f.refunded, f.commissions, f.reversed, f.selfOrders, f.selfSales],
            sketch: Data(f.sketch.bytes).base64EncodedString(), finance: finance.values, delays: f.payDelays.encoded)), as: UTF8.self)
        // By key, made once: tens of thousands of scopes at the end of a busy day.
        var scopes: [String: DayFigures] = [:]
        for (scope, figures) in counted where scope != .program { scopes[scope.key] = figures }
        let changed = scopes.filter { stored?[$0.key] != $0.value }.sorted { $0.key < $1.key }
        let gone = stored.map { old in old.keys.filter { scopes[$0] == nil } } ?? []
        try await database.write { db in
            // Conditional on the count this one replaces: another instance's recount in between wins.
            let claimed: Bool
            if let kept {
                claimed = try await db.first("""
                    UPDATE open_day SET day = \(bind: day.label), starts_at = \(bind: day.start.milliseconds), through = \(bind: upTo.milliseconds), body = \(bind: body)
                    WHERE id = 1 AND day = \(bind: kept.day) AND through = \(bind: kept.through) RETURNING id
                    """) != nil
            } else {
                claimed = try await db.first("""
                    INSERT INTO open_day (id, day, starts_at, through, body) VALUES (1, \(bind: day.label), \(bind: day.start.milliseconds), \(bind: upTo.milliseconds), \(bind: body))
                    ON CONFLICT (id) DO NOTHING RETURNING id
                    """) != nil
            }
            guard claimed else { return }
            if stored == nil { try await db.execute("DELETE FROM open_day_rollups") }
            for chunk in (changed.map(\.key) + gone).chunked(by: 500) {
                try await db.execute("DELETE FROM open_day_rollups WHERE scope IN (\(SQLList(chunk.map { SQLBind($0) })))")
            }
            let rows: [[RowValue]] = changed.map { key, f in
                [.text(key), .int(f.clicks), .int(f.visitors), .int(f.bots), .int(f.orders), .int(f.paidOrders), .int(f.gmv), .int(f.refunds),
                 .int(f.refunded), .int(f.commissions), .int(f.reversed), .int(f.qrClicks),
                 f.visitors > 0 ? .text(Data(f.sketch.bytes).base64EncodedString()) : .null, .text(f.payDelays.encoded), .int(f.selfOrders), .int(f.selfSales)]
            }
            for chunk in rows.chunked(by: 200) { try await db.insertRows(scopeInsert, rows: Array(chunk)) }
        }
    }

    static let scopeInsert = RowInsert(into: "open_day_rollups", columns: [
        "scope", "clicks", "visitors", "bots", "orders", "paid_orders", "gmv", "refunds", "refunded", "commissions", "reversed", "qr_clicks",
        "sketch", "pay_delays", "self_orders", "self_sales",
    ])

    /// Every scope's stored figures, by key.
    private static func storedScopes(in db: any SQLDatabase) async throws -> [String: DayFigures] {
        var scopes: [String: DayFigures] = [:]
        for row in try await db.rows("SELECT * FROM open_day_rollups") { scopes[try row.decode(column: "scope", as: String.self)] = try DayRollups.decode(row) }
        return scopes
    }

    /// Each scope's figures today beside the open day's row, and each finished day's delays from
    /// click to payment and self-purchases. The rollups are made again from the first day, so that
    /// every day has them (the sweep does it in the background; reads count what is not rolled up yet).
    static let scopesMigration = Migration(version: 32, name: "open_day_rollups", statements: [
        "DROP TABLE open_day_sales",
        """
        CREATE TABLE open_day_rollups (
            scope TEXT PRIMARY KEY,
            clicks BIGINT NOT NULL,
            visitors BIGINT NOT NULL,
            bots BIGINT NOT NULL,
            orders BIGINT NOT NULL,
            paid_orders BIGINT NOT NULL,
            gmv BIGINT NOT NULL,
            refunds BIGINT NOT NULL,
            refunded BIGINT NOT NULL,
            commissions BIGINT NOT NULL,
            reversed BIGINT NOT NULL,
            qr_clicks BIGINT NOT NULL,
            sketch TEXT,
            pay_delays TEXT NOT NULL,
            self_orders BIGINT NOT NULL,
            self_sales BIGINT NOT NULL
        )
        """,
        "ALTER TABLE day_rollups ADD COLUMN pay_delays TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE day_rollups ADD COLUMN self_orders BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE day_rollups ADD COLUMN self_sales BIGINT NOT NULL DEFAULT 0",
        // Its scopes have no rows yet: until the sweep's first recount, today is counted from the rows.
        "DELETE FROM open_day",
        "DELETE FROM rollup_state",
    ])

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
