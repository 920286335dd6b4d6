import Foundation
import SQLKit
import TuikeCore

/// Rollups: each finished day of the program's time zone, counted once per link, promoter,
/// product and the whole program (`DayFigures`), and its money flows (`FinanceFigures`). Reads take
/// the days rolled up from here and count only the rest (normally today) from the rows, so a
/// page costs the same after a year of history as after a day.
///
/// `advance` rolls up the days that ended at least `lag` ago, oldest first, then recounts today so
/// far (`OpenDay`) if its count is a minute old. It runs every second
/// as a sweep; it counts outside the writer and records a day only if no other instance did
/// first (`through` moves in the same write), so every day is rolled up exactly once. A row
/// committed more than `lag` after its day ended (a clock far behind on another instance) is not
/// in its day's rollup. Changing the time zone starts the rollups again from the beginning.
public struct DayRollups: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// How long after a day's end it is rolled up: rows are written within moments of their time.
    public static let lag: Int64 = 120_000
    /// Days rolled up per call, so that one call stays short on a database with years to catch up.
    public static let daysPerCall = 31

    public struct State: Sendable, Equatable {
        public let timeZone: String
        /// The end of the last day rolled up: everything before it is in the rollups.
        public let through: Instant
    }

    public func state() async throws -> State? {
        try await database.read { db in try await Self.state(in: db) }
    }

    static func state(in db: any SQLDatabase) async throws -> State? {
        try await db.first("SELECT time_zone, through FROM rollup_state WHERE id = 1").map {
            State(timeZone: try $0.decode(column: "time_zone", as: String.self), through: try $0.decodeInstant(column: "through"))
        }
    }

    /// Rolls up the finished days not rolled up yet (at most `daysPerCall`); returns how many.
    @discardableResult
    public func advance(timeZone: String, now: Instant) async throws -> Int {
        let dialect = database.dialect
        var current = try await state()
        if current?.timeZone != timeZone {
            current = try await start(timeZone: timeZone, replacing: current)
        }
        guard let current else { return 0 }
        let finished = now.adding(milliseconds: -Self.lag)
        // A call's days only (a range of days is at most a year long, and years may be waiting).
        let horizon = min(finished, current.through.adding(seconds: Int64(Self.daysPerCall + 1) * 86_400))
        let days = current.through < finished
            ? try CalendarDays.days(from: current.through, to: horizon, timeZone: timeZone)
                .filter { $0.start >= current.through && $0.end <= finished }.prefix(Self.daysPerCall)
            : []
        var through = current.through
        for day in days {
            let (figures, finance, marks, roi) = try await database.read { db in
                // The day's marks before its cohort is counted: a mark made later stays.
                let marks = try await RoiCohorts.marks(from: day.start, to: day.end, in: db)
                return (try await DayFigures.count(from: day.start, to: day.end, dialect: dialect, in: db),
                        try await FinanceFigures.count(from: day.start, to: day.end, dialect: dialect, in: db),
                        marks, try await RoiCohorts.count(from: day.start, to: day.end, dialect: dialect, in: db))
            }
            let previous = through
            let recorded = try await database.write { db in
                guard try await db.first("""
                    UPDATE rollup_state SET through = \(bind: day.end.milliseconds)
                    WHERE id = 1 AND time_zone = \(bind: timeZone) AND through = \(bind: previous.milliseconds) RETURNING id
                    """) != nil else { return false }
                try await Self.record(day, figures: figures, finance: finance, in: db)
                try await RoiCohorts.record(day: day.start, roi, clearing: marks, in: db)
                return true
            }
            // Another instance recorded it first: it goes on from there.
            guard recorded else { return days.count }
            through = day.end
        }
        try await RoiCohorts.refresh(timeZone: timeZone, through: through, now: now, database: database)
        if let today = try CalendarDays.days(from: now, to: now, timeZone: timeZone).first {
            try await OpenDay.refresh(today, rolledThrough: through, now: now, database: database)
        }
        return days.count
    }

    /// The first run, or a new time zone: the rollups start again from the day of the oldest
    /// promoter or product (nothing is counted before both exist).
    private func start(timeZone: String, replacing old: State?) async throws -> State? {
        try await database.write { db in
            if let now = try await Self.state(in: db), now != old { return now }
            let oldest = try await db.one("""
                SELECT MIN(t) AS t FROM (SELECT MIN(created_at) AS t FROM promoters UNION ALL SELECT MIN(created_at) AS t FROM products) x
                """).decode(column: "t", as: Int64?.self)
            guard let oldest, let first = try CalendarDays.days(from: Instant(milliseconds: oldest), to: Instant(milliseconds: oldest), timeZone: timeZone).first else {
                return nil
            }
            // Claim the start first, conditionally: instances that read the same state at once
            // all get here, and only one may clear the rollups (another may already be rolling up
            // days from the state the first one made).
            let claimed: Bool
            if let old {
                claimed = try await db.first("""
                    UPDATE rollup_state SET time_zone = \(bind: timeZone), through = \(bind: first.start.milliseconds)
                    WHERE id = 1 AND time_zone = \(bind: old.timeZone) AND through = \(bind: old.through.milliseconds) RETURNING id
                    """) != nil
            } else {
                claimed = try await db.first("""
                    INSERT INTO rollup_state (id, time_zone, through) VALUES (1, \(bind: timeZone), \(bind: first.start.milliseconds))
                    ON CONFLICT (id) DO NOTHING RETURNING id
                    """) != nil
            }
            guard claimed else { return try await Self.state(in: db) }
            for table in ["day_rollups", "day_sketches", "finance_days", "scope_totals", "open_day", "open_day_rollups", "roi_days", "roi_changes"] {
                try await db.execute("DELETE FROM \(unsafeRaw: table)")
            }
            // Kept ROI sums are named by this version: none of them holds after a start over.
            try await db.execute("UPDATE rollup_state SET roi_version = roi_version + 1 WHERE id = 1")
            return State(timeZone: timeZone, through: first.start)
        }
    }

    static let rollupInsert = RowInsert(into: "day_rollups", columns: [
        "scope", "day", "starts_at", "ends_at", "clicks", "visitors", "bots", "orders", "paid_orders", "gmv", "refunds", "refunded",
        "commissions", "reversed", "qr_clicks", "pay_delays", "self_orders", "self_sales",
    ])
    static let sketchInsert = RowInsert(into: "day_sketches", columns: ["scope", "day", "sketch"])

    private static func record(_ day: CalendarDays.Day, figures: [DayFigures.Scope: DayFigures], finance: FinanceFigures,
                               in db: any SQLDatabase) async throws {
        let rows: [[RowValue]] = figures.sorted { $0.key.key < $1.key.key }.map { scope, f in
            [.text(scope.key), .text(day.label), .int(day.start.milliseconds), .int(day.end.milliseconds), .int(f.clicks), .int(f.visitors),
             .int(f.bots), .int(f.orders), .int(f.paidOrders),
             .int(f.gmv), .int(f.refunds), .int(f.refunded), .int(f.commissions), .int(f.reversed), .int(f.qrClicks), .text(f.payDelays.encoded),
             .int(f.selfOrders), .int(f.selfSales)]
        }
        let sketches: [[RowValue]] = figures.filter { $0.value.visitors > 0 }.sorted { $0.key.key < $1.key.key }.map { scope, f in
            [.text(scope.key), .text(day.label), .text(Data(f.sketch.bytes).base64EncodedString())]
        }
        for chunk in rows.chunked(by: 200) { try await db.insertRows(rollupInsert, rows: Array(chunk)) }
        for chunk in sketches.chunked(by: 500) { try await db.insertRows(sketchInsert, rows: Array(chunk)) }
        let financeInsert = RowInsert(into: "finance_days", columns: ["day", "starts_at", "ends_at"] + FinanceFigures.columns)
        try await db.insertRows(financeInsert, rows: [[.text(day.label), .int(day.start.milliseconds), .int(day.end.milliseconds)] + finance.values.map(RowValue.int)])
        try await ScopeTotals.add(day: day.label, in: db)
    }

    static let migration = Migration(version: 16, name: "day_rollups", statements: [
        """
        CREATE TABLE day_rollups (
            scope TEXT NOT NULL,
            day TEXT NOT NULL,
            starts_at BIGINT NOT NULL,
            ends_at BIGINT NOT NULL,
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
            PRIMARY KEY (scope, day)
        )
        """,
        // Leaderboards and the dashboard's top promoters read one day range across scopes.
        "CREATE INDEX day_rollups_by_day ON day_rollups (day, scope)",
        // The day's visitors (`VisitorSketch`, up to 2 KiB) apart from its counts, so that reading
        // a year of a scope's counts reads narrow rows; only visitors over several days need them.
        """
        CREATE TABLE day_sketches (
            scope TEXT NOT NULL,
            day TEXT NOT NULL,
            sketch TEXT NOT NULL,
            PRIMARY KEY (scope, day)
        )
        """,
        """
        CREATE TABLE finance_days (
            day TEXT PRIMARY KEY,
            starts_at BIGINT NOT NULL,
            ends_at BIGINT NOT NULL,
        """ + FinanceFigures.columns.map { "    \($0) BIGINT NOT NULL" }.joined(separator: ",\n") + "\n)",
        """
        CREATE TABLE rollup_state (
            id BIGINT PRIMARY KEY CHECK (id = 1),
            time_zone TEXT NOT NULL,
            through BIGINT NOT NULL
        )
        """,
        // A day's journal entries find their postings, and a day's paid withdrawals are read by
        // when they were paid. Postings are no longer read by account (balances come from
        // `account_balances`), so that index gives its place to the one by entry.
        "DROP INDEX journal_postings_by_account",
        "CREATE INDEX journal_postings_by_entry ON journal_postings (entry_id)",
        "CREATE INDEX withdrawals_by_completion ON withdrawals (completed_at, status)",
    ], dialectStatements: [
        .postgres: [
            ("clicks", "at"), ("orders", "created_at"), ("payments", "created_at"), ("refunds", "created_at"), ("commissions", "created_at"),
            ("journal_entries", "created_at"), ("settlements", "created_at"), ("adjustments", "created_at"),
        ].map { table, column in "CREATE INDEX \(table)_by_time ON \(table) USING brin (\(column))" },
    ])
}
